import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startGitHubEmulator, type GitHubEmulator } from '../../support/githubEmulator/index.js';
import type { IssueRecord, RepoRecord } from '../../support/githubEmulator/records.js';
import { startScriptedModel, type ScriptedModel } from '../../support/scriptedModel/index.js';
import { FactoryProcess, freePort, projectRoot } from './factoryProcess.js';
import { epicIssue, scriptTextkitEpic } from './textkitEpic.js';

export const sampleRepoDir = path.join(projectRoot, 'test/fixtures/sample-repo');

/** The app's HEARTBEAT_TIMEOUT_SECONDS in the loop: leases and BullMQ's job locks follow from it. */
export const loopHeartbeatTimeoutSeconds = 20;

export interface LoopOptions {
  redisUrl: string;
  redisPrefix: string;
  /** postgres:// URL; when unset the app keeps its records in PGlite under the work folder. */
  databaseUrl?: string;
  logLevel?: string;
  /**
   * Holds back each worker's last turn (after it changed files and ran the
   * tests, when implementing or resolving the conflict), so a test can crash
   * the app while a worker runs.
   */
  workerDelayMs?: number;
  /** The emulated CI's shell command (given the loop's work folder), run in a checkout of each PR head; `npm test` when unset. */
  ciCommand?: (workDir: string) => string;
  /** More environment for the app, e.g. a crash-loop threshold above a test's number of kills. */
  env?: Record<string, string>;
  /** The model's script; the textkit epic's (with `workerDelayMs`) when unset. */
  script?: (model: ScriptedModel) => void;
  /** The model name the scripted model's replies carry (the demo's label); the requested one by default. */
  scriptedModelName?: string;
}

/**
 * The whole loop on one machine: the GitHub emulator with the sample
 * repository, the scripted model, and the app as its own process pointed at
 * both — nothing in the app knows it is not GitHub and Claude.
 */
export class FactoryLoop {
  readonly app: FactoryProcess;

  private constructor(
    readonly emulator: GitHubEmulator,
    readonly model: ScriptedModel,
    readonly repo: RepoRecord,
    readonly workDir: string,
    port: number,
    options: LoopOptions,
  ) {
    const env: Record<string, string> = {
      NODE_ENV: 'production',
      LOG_LEVEL: options.logLevel ?? 'info',
      FACTORY_ROLE: 'all',
      APP_ID: String(emulator.app.id),
      PRIVATE_KEY: emulator.app.privateKey,
      WEBHOOK_SECRET: emulator.app.webhookSecret,
      GITHUB_API_URL: emulator.url,
      // The status page's links open the emulator's own pages (githubEmulator/webPages.ts).
      GITHUB_WEB_URL: emulator.url,
      // The emulator has no secondary rate limits to respect.
      GITHUB_WRITE_THROTTLE: 'off',
      REDIS_URL: options.redisUrl,
      REDIS_PREFIX: options.redisPrefix,
      FACTORY_DATA_DIR: path.join(workDir, 'data'),
      WORKTREE_DIR: path.join(workDir, 'worktrees'),
      ANTHROPIC_BASE_URL: model.url,
      ANTHROPIC_API_KEY: 'scripted-model',
      IS_SANDBOX: '1',
      HEALTH_INTERVAL_SECONDS: '5',
      RECONCILE_INTERVAL_SECONDS: '10',
      HEARTBEAT_TIMEOUT_SECONDS: String(loopHeartbeatTimeoutSeconds),
      ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
      ...options.env,
    };
    this.app = new FactoryProcess({ env, port, logFile: path.join(workDir, 'factory.log') });
  }

  static async start(options: LoopOptions): Promise<FactoryLoop> {
    const workDir = await mkdtemp(path.join(tmpdir(), 'factory-loop-'));
    const emulator = await startGitHubEmulator({ dataDir: path.join(workDir, 'github') });
    const model = await startScriptedModel({ answerAs: options.scriptedModelName });
    if (options.script) options.script(model);
    else scriptTextkitEpic(model, { workerDelayMs: options.workerDelayMs });
    const repo = await emulator.addRepo('textkit', sampleRepoDir);
    emulator.startCi({ command: options.ciCommand?.(workDir) ?? 'npm test', name: 'test' });
    const loop = new FactoryLoop(emulator, model, repo, workDir, await freePort(), options);
    emulator.setWebhookUrl(loop.app.webhookUrl);
    return loop;
  }

  get maintainer() {
    return this.emulator.person(this.repo);
  }

  /**
   * Another copy of the sample repository on the same emulator, for a test
   * that runs several epics one after the other with one app; `files`
   * (path in the repository → content) are added or replaced.
   */
  async addRepo(name: string, files: Record<string, string> = {}): Promise<RepoRecord> {
    const source = path.join(this.workDir, `source-${name}`);
    await cp(sampleRepoDir, source, { recursive: true });
    for (const [file, content] of Object.entries(files)) {
      await writeFile(path.join(source, file), content);
    }
    return this.emulator.addRepo(name, source);
  }

  /** What a maintainer does to start it all: open the issue and label it `factory:epic`. */
  openEpic(
    repo: RepoRecord = this.repo,
    issue: { title: string; body: string } = epicIssue,
  ): IssueRecord {
    const maintainer = this.emulator.person(repo);
    const opened = maintainer.openIssue(issue);
    maintainer.addLabel(opened.number, 'factory:epic');
    return opened;
  }

  issues(repo: RepoRecord = this.repo): IssueRecord[] {
    return [...repo.issues.values()].filter((issue) => !issue.pull);
  }

  pulls(repo: RepoRecord = this.repo): IssueRecord[] {
    return [...repo.issues.values()].filter((issue) => issue.pull);
  }

  /** Polls `check` until it returns a value, or fails after `timeoutMs` naming what it waited for. */
  async waitFor<T>(
    label: string,
    check: () => T | undefined | false | Promise<T | undefined | false>,
    timeoutMs: number,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined && value !== false) return value;
      if (Date.now() > deadline)
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${label}; app log: ${path.join(this.workDir, 'factory.log')}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  async close(options: { keepWorkDir?: boolean } = {}) {
    await this.app.stop().catch(() => undefined);
    await this.emulator.close();
    await this.model.close();
    if (!options.keepWorkDir) await rm(this.workDir, { recursive: true, force: true });
  }
}
