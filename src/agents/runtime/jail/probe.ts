import { spawnSync } from 'node:child_process';
import { bwrapArguments } from './plan.js';
import { systemLayout } from './hostLayout.js';

/**
 * Whether a jail can start on this machine: bubblewrap runs with every
 * namespace the agents' jails use, and socat (the relay to the model inside
 * the jail) is there. The answer is one line with the fix, for start-up and
 * for every run it refuses.
 */

export type JailStatus = { ok: true } | { ok: false; reason: string };

export interface JailTools {
  bwrapPath: string;
  socatPath: string;
}

const fix =
  'install bubblewrap and socat (apt-get install bubblewrap socat), allow user namespaces ' +
  '(in Docker: --security-opt seccomp=unconfined --security-opt apparmor=unconfined), ' +
  'or set AGENT_SANDBOX=off to run agents unjailed (unsafe)';

export function jailUnavailable(cause: string): string {
  return `Agents cannot run: the jail does not start (${cause}). Fix: ${fix}.`;
}

export function probeJail(tools: JailTools): JailStatus {
  const args = bwrapArguments({
    ...systemLayout(),
    mounts: [{ path: tools.socatPath, writable: false }],
    cwd: '/',
    env: {},
    argv: [tools.socatPath, '-V'],
  });
  const run = spawnSync(tools.bwrapPath, args, { encoding: 'utf8', timeout: 10_000 });
  if (run.error) {
    const code = (run.error as NodeJS.ErrnoException).code;
    return {
      ok: false,
      reason: jailUnavailable(
        code === 'ENOENT'
          ? `no bubblewrap at ${tools.bwrapPath}`
          : `bubblewrap at ${tools.bwrapPath} failed: ${run.error.message}`,
      ),
    };
  }
  if (run.status !== 0) {
    const said = oneLine(run.stderr) || `exit code ${String(run.status ?? run.signal)}`;
    const cause =
      /socat/.test(said) || /No such file/.test(said)
        ? `socat is missing at ${tools.socatPath}: ${said}`
        : `bubblewrap at ${tools.bwrapPath} says: ${said}`;
    return { ok: false, reason: jailUnavailable(cause) };
  }
  return { ok: true };
}

function oneLine(text: string | undefined): string {
  return (text ?? '').replace(/\s+/g, ' ').trim().slice(0, 300);
}
