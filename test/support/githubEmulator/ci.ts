import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { git } from './bareRepo.js';
import { ciApp, createCheckRun, updateCheckRun } from './checkActions.js';
import type { IssueRecord, RepoRecord } from './records.js';
import type { EmulatorState } from './state.js';

export interface SimulatedCiOptions {
  /** Shell command run at the root of a checkout of the PR's head. */
  command: string;
  /** The check run's name. */
  name?: string;
  timeoutMs?: number;
}

/**
 * A CI service for the emulated repositories: on every new PR head it checks
 * the commit out, runs the command and reports a check run with the outcome,
 * as a CI App would. Runs one at a time (the machine is small).
 */
export class SimulatedCi {
  private chain: Promise<void> = Promise.resolve();
  private readonly seen = new Set<string>();
  readonly runs: { sha: string; pull: number; conclusion: string; output: string }[] = [];

  constructor(
    private readonly state: EmulatorState,
    private readonly options: SimulatedCiOptions,
  ) {
    state.pullHeadListeners.add((repo, pull) => this.schedule(repo, pull));
  }

  /** Resolves when every scheduled run has reported. */
  idle(): Promise<void> {
    return this.chain;
  }

  private schedule(repo: RepoRecord, pull: IssueRecord) {
    const sha = pull.pull?.headSha;
    if (!sha || this.seen.has(`${repo.id}:${sha}`)) return;
    this.seen.add(`${repo.id}:${sha}`);
    this.chain = this.chain.then(() => this.run(repo, pull.number, sha)).catch(() => undefined);
  }

  private async run(repo: RepoRecord, pullNumber: number, sha: string) {
    const ciBot = this.state.user(`${ciApp.slug}[bot]`, 'Bot');
    const name = this.options.name ?? 'ci';
    const check = await createCheckRun(this.state, repo, ciBot, 'ci', {
      name,
      head_sha: sha,
      status: 'in_progress',
    });
    const scratch = await mkdtemp(path.join(tmpdir(), 'emulator-ci-'));
    const worktree = path.join(scratch, 'checkout');
    let result: { ok: boolean; output: string };
    try {
      await git([
        '--git-dir',
        repo.gitDir,
        'worktree',
        'add',
        '--quiet',
        '--detach',
        worktree,
        sha,
      ]);
      result = await runCommand(this.options.command, worktree, this.options.timeoutMs ?? 120_000);
    } catch (error) {
      result = { ok: false, output: error instanceof Error ? error.message : String(error) };
    } finally {
      await git(['--git-dir', repo.gitDir, 'worktree', 'remove', '--force', worktree]).catch(
        () => undefined,
      );
      await rm(scratch, { recursive: true, force: true });
    }
    const conclusion = result.ok ? 'success' : 'failure';
    const tail = result.output.slice(-4000);
    this.runs.push({ sha, pull: pullNumber, conclusion, output: tail });
    updateCheckRun(this.state, repo, ciBot, check, {
      conclusion,
      output: {
        title: result.ok ? `${name} passed` : `${name} failed`,
        summary: `\`${this.options.command}\` ${result.ok ? 'passed' : 'failed'}`,
        text: tail,
      },
    });
  }
}

function runCommand(
  command: string,
  cwd: string,
  timeoutMs: number,
): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, CI: 'true' },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ ok: code === 0, output });
    });
  });
}
