import { spawn } from 'node:child_process';
import type { Logger } from '../../logger.js';
import { repoAgentEnv, type AgentEnv } from '../runtime/agentEnv.js';
import type { Jail, JailedCommand } from '../runtime/jail/jail.js';

/**
 * Runs the repository's setup and test commands in the task's worktree. They
 * are the repository's code, so they run in the agents' jail (the worktree
 * writable, nothing else of the host; no network but, for setup commands, the
 * repository's `sandbox.allowHosts`), with the same allow-listed environment as
 * the agent (never the app's secrets), a timeout that kills the whole process
 * group, and bounded output. When no jail can start, the command is refused
 * with the reason as its output.
 */

export interface CommandResult {
  command: string;
  phase: 'setup' | 'test';
  ok: boolean;
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  /** stdout and stderr interleaved, the last `maxOutputChars` of it. */
  output: string;
}

export interface CommandOptions {
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  maxOutputChars?: number;
  jail: Jail;
  /** Hosts a setup command may reach (the repository's `sandbox.allowHosts`). */
  allowHosts?: readonly string[];
}

export async function runCommand(
  command: string,
  phase: CommandResult['phase'],
  options: CommandOptions,
): Promise<CommandResult> {
  const started = Date.now();
  let jailed: JailedCommand;
  try {
    jailed = await options.jail.openCommand(command, {
      cwd: options.cwd,
      env: options.env,
      allowHosts: phase === 'setup' ? options.allowHosts : [],
    });
  } catch (error) {
    const output = error instanceof Error ? error.message : String(error);
    return { command, phase, ok: false, exitCode: null, timedOut: false, durationMs: 0, output };
  }
  try {
    return await spawnCommand(command, phase, options, jailed, started);
  } finally {
    await jailed.close();
  }
}

function spawnCommand(
  command: string,
  phase: CommandResult['phase'],
  options: CommandOptions,
  jailed: JailedCommand,
  started: number,
): Promise<CommandResult> {
  const max = options.maxOutputChars ?? 20_000;
  return new Promise((resolve) => {
    let output = '';
    let timedOut = false;
    const append = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.length > max * 2) output = output.slice(output.length - max);
    };
    const child = spawn(jailed.file, jailed.args, {
      cwd: options.cwd,
      env: jailed.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, options.timeoutMs);
    const finish = (exitCode: number | null, extra = '') => {
      clearTimeout(timer);
      const text = output + extra;
      resolve({
        command,
        phase,
        ok: exitCode === 0 && !timedOut,
        exitCode,
        timedOut,
        durationMs: Date.now() - started,
        output: text.length > max ? text.slice(text.length - max) : text,
      });
    };
    child.once('error', (error) => finish(null, `\n${error.message}`));
    child.once('close', (code) =>
      finish(code, timedOut ? `\n(timed out after ${options.timeoutMs} ms)` : ''),
    );
  });
}

function killGroup(pid: number | undefined) {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Runs commands in order, stopping at the first failure. */
export async function runCommands(
  commands: readonly string[],
  phase: CommandResult['phase'],
  options: CommandOptions,
): Promise<CommandResult[]> {
  const results: CommandResult[] = [];
  for (const command of commands) {
    const result = await runCommand(command, phase, options);
    results.push(result);
    if (!result.ok) break;
  }
  return results;
}

/**
 * The environment of repository commands: the same allow-list idea as the
 * agent's (PATH, HOME, locale, temp dir) plus the variables the repository
 * config names in `agentEnv` — with secret-looking names refused exactly as
 * for agents (`repoAgentEnv`), since a test's output (`env`) is posted on the issue.
 */
export function commandEnvironment(
  allowedNames: readonly string[],
  source: NodeJS.ProcessEnv = process.env,
): AgentEnv {
  const env: Record<string, string> = { CI: 'true' };
  for (const name of ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TERM', 'TMPDIR', 'TZ']) {
    const value = source[name];
    if (value !== undefined) env[name] = value;
  }
  const named = repoAgentEnv(allowedNames, source);
  return { env: { ...env, ...named.env }, refused: named.refused };
}

/** The command environment, with what was refused said in the log. */
export function loggedCommandEnvironment(
  allowedNames: readonly string[],
  log: Pick<Logger, 'warn'>,
  context: Record<string, unknown>,
): Record<string, string> {
  const { env, refused } = commandEnvironment(allowedNames);
  if (refused.length > 0) {
    log.warn(
      { ...context, refused },
      'refused secret-looking agentEnv variables for setup/test commands; remove them from .github/factory.yml',
    );
  }
  return env;
}
