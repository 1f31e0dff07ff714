import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import type {
  AgentRunRequest,
  AgentRunner,
  StructuredRunResult,
} from '../../../src/agents/runtime/types.js';
import { parseEnv } from '../../../src/config/env.js';
import type { DatabaseHandle } from '../../../src/db/connection.js';
import { epics, mail, mergeQueueEntries, tasks, type Task } from '../../../src/db/schema.js';
import { transitionTask } from '../../../src/db/tasks.js';
import type { FactoryDeps } from '../../../src/deps.js';
import { ensureTaskWorktree, mirrorPath, pushTaskBranch, runGit } from '../../../src/git/index.js';
import { queuePullRequest, wakeMergeQueue } from '../../../src/mergeQueue/enter.js';
import { createMergeQueueGit } from '../../../src/mergeQueue/gitOperations.js';
import type { MergeQueueGit } from '../../../src/mergeQueue/ports.js';
import { buildMergeQueueProcessors } from '../../../src/mergeQueue/processors.js';
import type { ReviewVerdict } from '../../../src/mergeQueue/review/verdict.js';
import type { JobPayload } from '../../../src/queues/jobs.js';
import { JobQueues } from '../../../src/queues/producer.js';
import { startQueueWorkers, type QueueWorkers } from '../../../src/queues/workers.js';
import { createTestDatabase } from '../database.js';
import { createBareRemote, git } from '../git/localRemote.js';
import { testOctokit } from '../github.js';
import { deleteRedisPrefix, testRedisPrefix, testRedisUrl } from '../redis.js';
import { FakeGitHub, type FakeCheck } from './fakeGitHub.js';

/**
 * One epic's merge queue running for real: PostgreSQL, Redis and BullMQ
 * workers, real git (a local bare repository as the remote), GitHub as a
 * stateful fake behind nock, and scripted agents: the supervisor's review
 * verdicts and a worker that addresses a rework round by editing files.
 * Counts what the issue asks about: agent round trips by purpose, rework jobs.
 */

export const owner = 'acme';
export const repo = 'widgets';
export const botLogin = 'factory-app[bot]';
const installationId = 42;

export type WorkerScript = (input: {
  worktree: string;
  reason: JobPayload<'rework-task'>['reason'];
  mail: string;
  task: Task;
}) => Promise<void>;

export interface HarnessOptions {
  files: Record<string, string>;
  ci?: (sha: string, bare: string) => FakeCheck[];
  review?: (request: AgentRunRequest, count: number) => ReviewVerdict;
  worker: WorkerScript;
  refuseOwnPullVerdicts?: boolean;
  ciFinished?: (sha: string) => boolean;
}

const greenCi = (): FakeCheck[] => [{ name: 'test', conclusion: 'success' }];
const approve = (): ReviewVerdict => ({
  verdict: 'APPROVE',
  summary: 'Looks right.',
  comments: [],
});

export class QueueHarness {
  root = mkdtempSync(path.join(os.tmpdir(), 'factory-mq-'));
  bare: string;
  person: string;
  github: FakeGitHub;
  handle!: DatabaseHandle;
  queues!: JobQueues;
  workers!: QueueWorkers;
  git!: MergeQueueGit;
  prefix = testRedisPrefix('mq');
  epicId = 0;
  agentRuns: { purpose: string; taskId?: number }[] = [];
  reworks: JobPayload<'rework-task'>[] = [];
  private uninstall: () => void = () => undefined;
  private reviews = 0;

  constructor(private readonly options: HarnessOptions) {
    this.bare = createBareRemote(this.root, repo, options.files);
    this.person = path.join(this.root, 'person');
    git(this.root, 'clone', '--quiet', this.bare, this.person);
    this.github = new FakeGitHub({
      owner,
      repo,
      bare: this.bare,
      botLogin,
      ci: options.ci ?? greenCi,
      refuseOwnPullVerdicts: options.refuseOwnPullVerdicts,
      ciFinished: options.ciFinished,
    });
  }

  async start() {
    this.uninstall = this.github.install();
    this.handle = await createTestDatabase('postgres');
    this.queues = JobQueues.connect(testRedisUrl, this.prefix);
    const env = parseEnv({ WORKTREE_DIR: path.join(this.root, 'worktrees'), LOG_LEVEL: 'warn' });
    const deps: FactoryDeps = {
      env,
      db: this.handle.db,
      queues: this.queues,
      log: pino({ level: 'silent' }),
      agents: this.supervisor(),
      github: {
        forInstallation: () => Promise.resolve(testOctokit()),
        installationToken: () => Promise.reject(new Error('a local remote needs no token')),
        botLogin: () => Promise.resolve(botLogin),
      },
    };
    this.git = createMergeQueueGit(deps, {
      remote: () => Promise.resolve({ url: this.bare }),
      identity: () => Promise.resolve({ name: botLogin, email: 'bot@example.com' }),
    });
    const processors = buildMergeQueueProcessors(deps, this.git, {
      noChecksGraceMs: 0,
      pollMs: 200,
      leaseMs: 60_000,
    });
    this.workers = startQueueWorkers({
      redisUrl: testRedisUrl,
      prefix: this.prefix,
      log: deps.log,
      processors: {
        ...processors,
        'rework-task': (payload) => this.rework(deps, payload),
        'update-progress': () => Promise.resolve(),
      },
      queues: ['merge-queue', 'task', 'epic'],
    });
    const [epic] = await this.handle.db
      .insert(epics)
      .values({
        installationId,
        repoId: 7,
        repoOwner: owner,
        repoName: repo,
        issueNumber: 1,
        issueId: 1001,
        title: 'Widgets',
        state: 'IN_PROGRESS',
        baseBranch: 'main',
      })
      .returning();
    this.epicId = epic?.id ?? 0;
    this.github.addIssue(1);
  }

  async stop() {
    await this.workers?.close();
    await this.queues?.close();
    await this.handle?.close();
    await deleteRedisPrefix(this.prefix);
    this.uninstall();
    rmSync(this.root, { recursive: true, force: true });
  }

  /** A worker's finished task: its branch pushed from the base with `files`, a PR opened, the task in REVIEW. */
  async addPullRequest(taskIssue: number, prNumber: number, files: Record<string, string>) {
    const branch = `factory/1-${taskIssue}-change`;
    this.pushBranch(branch, 'origin/main', files, `Task #${taskIssue}`);
    this.github.addIssue(taskIssue);
    this.github.openPull(prNumber, branch);
    const [task] = await this.handle.db
      .insert(tasks)
      .values({
        epicId: this.epicId,
        issueNumber: taskIssue,
        issueId: 2000 + taskIssue,
        title: `Task ${taskIssue}`,
        acceptanceCriteria: ['it works'],
        position: taskIssue,
        state: 'REVIEW',
        branch,
        prNumber,
        headSha: git(this.bare, 'rev-parse', branch).trim(),
      })
      .returning();
    if (!task) throw new Error('task insert');
    return task;
  }

  async queue(task: Task) {
    await queuePullRequest(
      { db: this.handle.db, queues: this.queues },
      {
        epicId: this.epicId,
        installationId,
        owner,
        repo,
        taskId: task.id,
        prNumber: task.prNumber ?? 0,
      },
    );
  }

  async wake(because: string) {
    await wakeMergeQueue(
      { queues: this.queues },
      { epicId: this.epicId, installationId, owner, repo },
      [because],
    );
  }

  /** What intake enqueues for a `pull_request.reopened` delivery (`delivery` names the delivery). */
  async reopened(prNumber: number, delivery: string) {
    await this.queues.enqueue(
      'advance-merge-queue',
      { epicId: this.epicId, installationId, owner, repo, reopened: prNumber },
      { jobId: `advance-merge-queue-d${delivery}-e${this.epicId}` },
    );
  }

  pushBranch(branch: string, from: string, files: Record<string, string>, message: string) {
    git(this.person, 'fetch', '--quiet', this.bare, '+refs/heads/*:refs/remotes/origin/*');
    git(this.person, 'checkout', '--quiet', '-B', branch, from);
    for (const [file, content] of Object.entries(files))
      writeFileSync(path.join(this.person, file), content);
    git(this.person, 'add', '--all');
    git(
      this.person,
      '-c',
      'user.name=W',
      '-c',
      'user.email=w@example.com',
      'commit',
      '--quiet',
      '-m',
      message,
    );
    git(this.person, 'push', '--quiet', '--force', this.bare, `${branch}:${branch}`);
  }

  /** Commit subjects on the base branch, newest last. */
  baseHistory(): string[] {
    return git(this.bare, 'log', '--reverse', '--format=%s', 'main').trim().split('\n');
  }

  async entries() {
    return this.handle.db.select().from(mergeQueueEntries);
  }

  async task(id: number) {
    const [row] = await this.handle.db.select().from(tasks).where(eq(tasks.id, id));
    if (!row) throw new Error(`task ${id}`);
    return row;
  }

  async epic() {
    const [row] = await this.handle.db.select().from(epics).where(eq(epics.id, this.epicId));
    if (!row) throw new Error('epic');
    return row;
  }

  /** Polls `check` until it holds or the deadline passes (no sleeping on hope). */
  async until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 240_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await check()) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const entries = await this.entries();
    throw new Error(
      `Timed out waiting for ${what}; entries: ${JSON.stringify(entries.map((e) => [e.prNumber, e.state, e.lastStep, e.lastStepReason]))}`,
    );
  }

  private supervisor(): AgentRunner {
    const run = (request: AgentRunRequest) => {
      this.agentRuns.push({ purpose: request.purpose, taskId: request.context.taskId });
      return request;
    };
    return {
      run: () => Promise.reject(new Error('the merge queue runs only structured reviews')),
      runStructured: <T>(request: AgentRunRequest): Promise<StructuredRunResult<T>> => {
        run(request);
        this.reviews += 1;
        const verdict = (this.options.review ?? approve)(request, this.reviews);
        return Promise.resolve({
          status: 'succeeded',
          runId: this.reviews,
          text: verdict.summary,
          numTurns: 1,
          usage: {
            inputTokens: 1,
            outputTokens: 1,
            cacheReadTokens: 0,
            cacheCreationTokens: 0,
            costUsd: 0,
          },
          output: verdict as T,
        });
      },
    };
  }

  /** The worker's side of a rework round, scripted: edit in the task worktree, commit, push, back to REVIEW. */
  private async rework(deps: FactoryDeps, payload: JobPayload<'rework-task'>) {
    this.reworks.push(payload);
    this.agentRuns.push({ purpose: `rework:${payload.reason}`, taskId: payload.taskId });
    const task = await this.task(payload.taskId);
    const [letter] = await deps.db.select().from(mail).where(eq(mail.taskId, task.id));
    const place = { root: deps.env.WORKTREE_DIR, owner, repo };
    const mirror = mirrorPath(place);
    await this.git.refresh({ installationId, owner, repo });
    const worktree = await ensureTaskWorktree({
      mirror,
      path: path.join(deps.env.WORKTREE_DIR, owner, repo, 'tasks', `1-${task.issueNumber}`),
      branch: task.branch ?? '',
      baseBranch: 'main',
    });
    const before = (
      await runGit(['rev-parse', `refs/remotes/origin/${task.branch}`], { cwd: mirror })
    ).trim();
    await runGit(['reset', '--quiet', '--hard', before], { cwd: worktree.path });
    await this.options.worker({
      worktree: worktree.path,
      reason: payload.reason,
      mail: letter?.body ?? '',
      task,
    });
    await pushTaskBranch({
      gitDir: worktree.path,
      branch: task.branch ?? '',
      taskBranch: task.branch ?? '',
      prefix: 'factory',
      remote: { url: this.bare },
      forceWithLeaseSha: before,
    });
    await transitionTask(deps.db, task.id, 'REVIEW', { from: 'IN_PROGRESS' });
    await this.wake(`pushed-${payload.taskId}-${payload.round}`);
  }
}

/** For worker scripts: commit everything in the worktree. */
export async function commitAll(worktree: string, message: string) {
  await runGit(['add', '--all'], { cwd: worktree });
  await runGit(
    ['-c', 'user.name=W', '-c', 'user.email=w@example.com', 'commit', '--quiet', '-m', message],
    {
      cwd: worktree,
    },
  );
}
