import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SpawnedProcess, SpawnOptions } from '@anthropic-ai/claude-agent-sdk';
import type { Logger } from '../../../logger.js';
import type { ModelAccess } from '../modelProxy/modelProxy.js';
import { openEgressProxy } from './egressProxy.js';
import { systemLayout, worktreeGitMounts } from './hostLayout.js';
import { launcherArgv, type Relay } from './launcher.js';
import { bwrapArguments, jailPath, type JailMount } from './plan.js';
import { jailUnavailable, probeJail, type JailStatus, type JailTools } from './probe.js';

/**
 * The jail every agent run and every repository command runs in (see
 * plan.ts for what it hides). One per process: it checks once that a jail can
 * start and refuses every run, with the one-line reason, when it cannot.
 * `AGENT_SANDBOX=off` (mode 'off') runs unjailed, with a warning per run.
 */

export type JailMode = 'on' | 'off';

export class JailUnavailableError extends Error {
  override name = 'JailUnavailableError';
}

export interface JailConfig {
  mode: JailMode;
  log: Logger;
  /** Defaults: `bwrap` and `socat` found on PATH. */
  bwrapPath?: string;
  socatPath?: string;
  /** Where run folders (the sockets bound into jails) are made; short, a socket path has ~100 characters. */
  runtimeDir?: string;
}

export interface EngineJailRequest {
  role: 'orchestrator' | 'supervisor' | 'worker';
  cwd: string;
  home: string;
  /** The run's way to the model (modelProxy/): its token, served on the jail's socket. */
  model: ModelAccess;
  onStderr?: (line: string) => void;
}

export interface EngineJail {
  /** The model as the engine must be told it: the proxy's address and the run's token, no key. */
  model: { apiKey: string; baseUrl: string };
  /** For the SDK's `spawnClaudeCodeProcess`; absent when unjailed. */
  spawn?: (options: SpawnOptions) => SpawnedProcess;
  close(): Promise<void>;
}

export interface CommandJailRequest {
  cwd: string;
  env: Record<string, string>;
  /** Hosts the command may reach through the egress proxy (setup commands only). */
  allowHosts?: readonly string[];
}

export interface JailedCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
  close(): Promise<void>;
}

export interface Jail {
  readonly mode: JailMode;
  status(): JailStatus;
  openEngine(request: EngineJailRequest): Promise<EngineJail>;
  /** `sh -c <command>` in a jail: the worktree writable, no network but `allowHosts`. */
  openCommand(command: string, request: CommandJailRequest): Promise<JailedCommand>;
}

/** The port inside the jail where the model answers, and where the egress proxy does. */
const modelPort = 8011;
const egressPort = 3128;
const socketFolder = '/run/factory';

export function createJail(config: JailConfig): Jail {
  const tools: JailTools = {
    bwrapPath: config.bwrapPath ?? findOnPath('bwrap') ?? 'bwrap',
    socatPath: config.socatPath ?? findOnPath('socat') ?? 'socat',
  };
  let checked: JailStatus | undefined;
  const status = (): JailStatus => {
    if (config.mode === 'off') return { ok: true };
    checked ??= probeJail(tools);
    return checked;
  };
  const refuseUnlessReady = () => {
    const now = status();
    if (!now.ok) throw new JailUnavailableError(now.reason);
  };
  const warnUnjailed = (what: string) =>
    config.log.warn(
      `AGENT_SANDBOX=off: ${what} runs WITHOUT the jail, with the app's files, network and processes in reach`,
    );
  const runFolder = () => {
    const root = config.runtimeDir ?? tmpdir();
    mkdirSync(root, { recursive: true });
    return mkdtempSync(path.join(root, 'fj-'));
  };

  return {
    mode: config.mode,
    status,
    async openEngine(request) {
      if (config.mode === 'off') {
        warnUnjailed(`this ${request.role} run`);
        // Unjailed, the engine still goes through the proxy (token, counting, budgets), on loopback.
        const loopback = await request.model.serveLoopback();
        return {
          model: { apiKey: request.model.token, baseUrl: loopback.url },
          close: () => loopback.close(),
        };
      }
      refuseUnlessReady();
      const folder = runFolder();
      const proxy = await request.model
        .serve(path.join(folder, 'model.sock'))
        .catch((error: unknown) => {
          rmSync(folder, { recursive: true, force: true });
          throw error;
        });
      const relays: Relay[] = [{ port: modelPort, socket: `${socketFolder}/model.sock` }];
      return {
        model: { apiKey: request.model.token, baseUrl: `http://127.0.0.1:${modelPort}` },
        spawn: (options) =>
          spawnJailed(tools, {
            argv: launcherArgv(relays, [options.command, ...options.args]),
            cwd: options.cwd ?? request.cwd,
            env: { ...definedOnly(options.env), HOME: request.home },
            mounts: [
              ...workspaceMounts(request.cwd, request.role === 'worker'),
              { path: request.home, writable: true },
              ...executableMounts(options.command),
            ],
            socketsFolder: folder,
            signal: options.signal,
            onStderr: request.onStderr,
          }),
        close: async () => {
          await proxy.close();
          rmSync(folder, { recursive: true, force: true });
        },
      };
    },
    async openCommand(command, request) {
      if (config.mode === 'off') {
        warnUnjailed(`the repository command \`${command}\``);
        return { file: 'sh', args: ['-c', command], env: request.env, close: async () => {} };
      }
      refuseUnlessReady();
      const allowHosts = request.allowHosts ?? [];
      const folder = runFolder();
      const relays: Relay[] = [];
      let close = async () => rmSync(folder, { recursive: true, force: true });
      const env: Record<string, string> = { ...request.env, HOME: '/tmp', TMPDIR: '/tmp' };
      if (allowHosts.length > 0) {
        const proxy = await openEgressProxy({
          socketPath: path.join(folder, 'egress.sock'),
          allowHosts,
          onRefused: (destination, reason) =>
            config.log.info({ destination, reason }, 'jail refused a setup command a host'),
        });
        relays.push({ port: egressPort, socket: `${socketFolder}/egress.sock` });
        const url = `http://127.0.0.1:${egressPort}`;
        Object.assign(env, {
          HTTP_PROXY: url,
          HTTPS_PROXY: url,
          http_proxy: url,
          https_proxy: url,
        });
        const removeFolder = close;
        close = async () => {
          await proxy.close();
          await removeFolder();
        };
      }
      const plan = {
        ...systemLayout(),
        mounts: workspaceMounts(request.cwd, true),
        sockets: { hostFolder: folder, jailFolder: socketFolder },
        cwd: request.cwd,
        env: { ...env, PATH: jailPath },
        argv: launcherArgv(relays, ['/bin/sh', '-c', command]),
      };
      return { file: tools.bwrapPath, args: bwrapArguments(plan), env: {}, close };
    },
  };
}

/** The workspace and, for a linked worktree, its git directories (see hostLayout.ts). */
function workspaceMounts(cwd: string, writable: boolean): JailMount[] {
  return [{ path: cwd, writable }, ...worktreeGitMounts(cwd, writable)];
}

/** The engine's binary, read-only at its own path: the one file of the app's folder a jail sees. */
function executableMounts(command: string): JailMount[] {
  return path.isAbsolute(command) ? [{ path: command, writable: false }] : [];
}

function spawnJailed(
  tools: JailTools,
  run: {
    argv: string[];
    cwd: string;
    env: Record<string, string>;
    mounts: JailMount[];
    socketsFolder: string;
    signal?: AbortSignal;
    onStderr?: (line: string) => void;
  },
): SpawnedProcess {
  const args = bwrapArguments({
    ...systemLayout(),
    mounts: run.mounts,
    sockets: { hostFolder: run.socketsFolder, jailFolder: socketFolder },
    cwd: run.cwd,
    env: { ...run.env, PATH: jailPath, TMPDIR: '/tmp' },
    argv: run.argv,
  });
  const child = spawn(tools.bwrapPath, args, {
    env: {},
    stdio: ['pipe', 'pipe', 'pipe'],
    signal: run.signal,
  });
  let pending = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') run.onStderr?.(line);
  });
  return child;
}

function definedOnly(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) out[name] = value;
  return out;
}

function findOnPath(name: string, searchPath = process.env.PATH ?? ''): string | undefined {
  for (const folder of searchPath.split(':').filter(Boolean)) {
    const candidate = path.join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this folder.
    }
  }
  return undefined;
}

export { jailUnavailable };
