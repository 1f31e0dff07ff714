/**
 * The first program inside a jail: it starts a relay per Unix socket bound
 * into the jail (socat, loopback port → socket), waits until each listens —
 * polling with a deadline, so the engine's first request never races the
 * relay — and then becomes the jailed command (`exec "$@"`), so the command's
 * exit status and signals are the jail's.
 */

export interface Relay {
  /** Loopback port inside the jail. */
  port: number;
  /** The socket's path inside the jail. */
  socket: string;
}

/** Waiting for one relay: 300 × 10 ms. */
const attempts = 300;

export function launcherScript(relays: readonly Relay[]): string {
  const lines = relays.flatMap((relay) => [
    `socat TCP-LISTEN:${relay.port},bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:${relay.socket} 2>/dev/null &`,
    `n=0; until socat -u OPEN:/dev/null TCP:127.0.0.1:${relay.port} 2>/dev/null; do n=$((n+1)); ` +
      `if [ "$n" -ge ${attempts} ]; then echo "factory jail: the relay to ${relay.socket} did not start" >&2; exit 70; fi; ` +
      `sleep 0.01; done`,
  ]);
  return [...lines, 'exec "$@"'].join('\n');
}

export function launcherArgv(relays: readonly Relay[], argv: readonly string[]): string[] {
  if (relays.length === 0) return [...argv];
  return ['/bin/sh', '-c', launcherScript(relays), 'factory-jail', ...argv];
}
