import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** A free TCP port on 127.0.0.1, for a server started in another process. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface FactoryProcessOptions {
  env: Record<string, string>;
  port: number;
  /** Every line the app logs is appended here. */
  logFile: string;
}

/**
 * The app as its own process, started exactly as `npm start` does (src/main.ts),
 * in one node process (no tsx wrapper) so that killing it kills the app.
 */
export class FactoryProcess {
  private child: ChildProcess | undefined;
  private log: WriteStream | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);

  constructor(private readonly options: FactoryProcessOptions) {}

  get url() {
    return `http://127.0.0.1:${this.options.port}`;
  }

  get webhookUrl() {
    return `${this.url}/api/github/webhooks`;
  }

  get running() {
    return (
      this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  /**
   * Starts the app; `extraEnv` is added to this start only (e.g. a
   * FACTORY_CRASH_AT for the run that is to crash), not to later ones.
   */
  async start(extraEnv: Record<string, string> = {}, timeoutMs = 90_000): Promise<void> {
    // A crashed run's stream is still open: the new run appends after it.
    this.log?.end();
    this.log = createWriteStream(this.options.logFile, { flags: 'a' });
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(projectRoot, 'src/main.ts')],
      {
        cwd: projectRoot,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: process.env.HOME ?? '/root',
          ...this.options.env,
          ...extraEnv,
          PORT: String(this.options.port),
          HOST: '127.0.0.1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group, so a crash takes the agent engines it started with it.
        detached: true,
      },
    );
    this.child = child;
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running)
        throw new Error(
          `the app exited during start-up (code ${String(await this.exited)}); see ${this.options.logFile}`,
        );
      if (await this.answers()) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(
      `the app did not answer on ${this.url} within ${timeoutMs} ms; see ${this.options.logFile}`,
    );
  }

  private async answers(): Promise<boolean> {
    try {
      const response = await fetch(`${this.url}/factory/healthz`, {
        signal: AbortSignal.timeout(2_000),
      });
      await response.arrayBuffer();
      return true;
    } catch {
      return false;
    }
  }

  /** Resolves true once the app's process has exited (a crash point killed it), false at the deadline. */
  async waitForExit(timeoutMs: number): Promise<boolean> {
    if (!this.running) return true;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const exited = await Promise.race([this.exited.then(() => true), deadline]);
    clearTimeout(timer);
    return exited;
  }

  /** SIGKILL: the crash, with no chance to finish or clean up anything. */
  async kill(): Promise<void> {
    if (!this.running || this.child?.pid === undefined) return;
    process.kill(-this.child.pid, 'SIGKILL');
    await this.exited;
  }

  /** For exit handlers, where nothing can be awaited: the app must not outlive whoever started it. */
  killNow(): void {
    if (this.running && this.child?.pid !== undefined) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  /**
   * SIGTERM: a graceful stop (running jobs finish first). Whatever of its
   * process group is left afterwards (an agent engine it did not stop) is killed.
   */
  async stop(timeoutMs = 60_000): Promise<void> {
    if (!this.running) return;
    this.child?.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
    this.killGroup();
    this.log?.end();
  }

  private killGroup() {
    if (this.child?.pid === undefined) return;
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // nothing left of it
    }
  }
}
