import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { Probot, ProbotOctokit } from 'probot';
import type { AgentRunner } from '../../../src/agents/runtime/types.js';
import { createFactoryApp } from '../../../src/app.js';
import { parseEnv } from '../../../src/config/env.js';
import type { DatabaseHandle } from '../../../src/db/connection.js';
import {
  agents,
  epics,
  tasks,
  type Agent,
  type Epic,
  type NewEpic,
  type NewTask,
  type Task,
} from '../../../src/db/schema.js';
import type { FactoryDeps } from '../../../src/deps.js';
import { mailProcessors } from '../../../src/mail/processors.js';
import type { MailOptions } from '../../../src/mail/mailContext.js';
import { jobIds, type QueueName } from '../../../src/queues/jobs.js';
import { JobQueues } from '../../../src/queues/producer.js';
import { startQueueWorkers } from '../../../src/queues/workers.js';
import { createTestDatabase } from '../../support/database.js';
import { deleteRedisPrefix, testRedisPrefix, testRedisUrl } from '../../support/redis.js';

/** Shared set-up of the mail tests: a real database, real Redis queues, Probot with nock-able Octokit. */

export const botLogin = 'factory-app[bot]';
export const installationId = 77;
export const repository = { id: 700, name: 'widgets', owner: 'acme' };

export const TestOctokit = ProbotOctokit.defaults({
  retry: { enabled: false },
  throttle: { enabled: false },
});

export const refusingRunner: AgentRunner = {
  run: () => Promise.reject(new Error('no agent should run in this test')),
  runStructured: () => Promise.reject(new Error('no agent should run in this test')),
};

export interface MailHarness {
  deps: FactoryDeps;
  handle: DatabaseHandle;
  prefix: string;
  probot: Probot;
  close(): Promise<void>;
}

/**
 * `agentRunner`: a runner, or one made on the harness's database (the real
 * runner records its runs there). `env`: settings beyond the test defaults.
 */
export async function startMailHarness(
  agentRunner: AgentRunner | ((db: DatabaseHandle['db']) => AgentRunner) = refusingRunner,
  env: Record<string, string> = {},
): Promise<MailHarness> {
  const handle = await createTestDatabase('postgres');
  const prefix = testRedisPrefix('mail');
  const queues = JobQueues.connect(testRedisUrl, prefix);
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const deps: FactoryDeps = {
    env: parseEnv({ NODE_ENV: 'test', REDIS_PREFIX: prefix, ...env }),
    db: handle.db,
    queues,
    log,
    agents: typeof agentRunner === 'function' ? agentRunner(handle.db) : agentRunner,
    github: {
      forInstallation: () => Promise.resolve(new TestOctokit({ auth: 'token installation' })),
      installationToken: () => Promise.resolve('installation-token'),
      botLogin: () => Promise.resolve(botLogin),
    },
  };
  const probot = new Probot({ githubToken: 'test', Octokit: TestOctokit, log });
  await probot.load(createFactoryApp(deps));
  return {
    deps,
    handle,
    prefix,
    probot,
    async close() {
      await queues.close();
      await deleteRedisPrefix(prefix);
      await handle.close();
    },
  };
}

let issueCounter = 100;
export const nextNumber = () => ++issueCounter;

export async function seedEpic(deps: FactoryDeps, overrides: Partial<NewEpic> = {}): Promise<Epic> {
  const issueNumber = overrides.issueNumber ?? nextNumber();
  const [epic] = await deps.db
    .insert(epics)
    .values({
      installationId,
      repoId: repository.id,
      repoOwner: repository.owner,
      repoName: repository.name,
      issueNumber,
      issueId: issueNumber * 1000,
      title: `Epic ${issueNumber}`,
      ...overrides,
    })
    .returning();
  return epic!;
}

export async function seedTask(
  deps: FactoryDeps,
  epic: Epic,
  overrides: Partial<NewTask> = {},
): Promise<Task> {
  const issueNumber = overrides.issueNumber ?? nextNumber();
  const [task] = await deps.db
    .insert(tasks)
    .values({
      epicId: epic.id,
      issueNumber,
      issueId: issueNumber * 1000,
      title: `Task ${issueNumber}`,
      ...overrides,
    })
    .returning();
  return task!;
}

export async function seedAgent(
  deps: FactoryDeps,
  values: Partial<typeof agents.$inferInsert> & Pick<Agent, 'kind'>,
): Promise<Agent> {
  const [agent] = await deps.db
    .insert(agents)
    .values({ installationId, ...values })
    .returning();
  return agent!;
}

let commentCounter = 5_000;
export const nextCommentId = () => ++commentCounter;

interface CommentEvent {
  body: string;
  issueNumber: number;
  author?: string;
  authorType?: 'User' | 'Bot';
  commentId?: number;
  action?: 'created' | 'edited';
  onPullRequest?: boolean;
}

const repoPayload = () => ({
  id: repository.id,
  name: repository.name,
  full_name: `${repository.owner}/${repository.name}`,
  owner: { login: repository.owner, id: 1, type: 'Organization' },
});

/** An `issue_comment` delivery as GitHub sends it (the fields Factory reads). */
export function issueCommentEvent(event: CommentEvent) {
  const author = { login: event.author ?? 'alice', id: 42, type: event.authorType ?? 'User' };
  const commentId = event.commentId ?? nextCommentId();
  return {
    id: randomUUID(),
    name: 'issue_comment' as const,
    payload: {
      action: event.action ?? 'created',
      installation: { id: installationId },
      repository: repoPayload(),
      sender: author,
      issue: {
        number: event.issueNumber,
        ...(event.onPullRequest ? { pull_request: { url: 'x' } } : {}),
      },
      comment: {
        id: commentId,
        body: event.body,
        html_url: `https://github.com/acme/widgets/issues/${event.issueNumber}#issuecomment-${commentId}`,
        user: author,
      },
    },
  };
}

export function reviewEvent(event: CommentEvent) {
  const author = { login: event.author ?? 'alice', id: 42, type: event.authorType ?? 'User' };
  const reviewId = event.commentId ?? nextCommentId();
  return {
    id: randomUUID(),
    name: 'pull_request_review' as const,
    payload: {
      action: 'submitted',
      installation: { id: installationId },
      repository: repoPayload(),
      sender: author,
      pull_request: { number: event.issueNumber },
      review: {
        id: reviewId,
        body: event.body,
        state: 'commented',
        html_url: `https://github.com/acme/widgets/pull/${event.issueNumber}#pullrequestreview-${reviewId}`,
        user: author,
      },
    },
  };
}

export function reviewCommentEvent(event: CommentEvent) {
  const author = { login: event.author ?? 'alice', id: 42, type: event.authorType ?? 'User' };
  const commentId = event.commentId ?? nextCommentId();
  return {
    id: randomUUID(),
    name: 'pull_request_review_comment' as const,
    payload: {
      action: 'created',
      installation: { id: installationId },
      repository: repoPayload(),
      sender: author,
      pull_request: { number: event.issueNumber },
      comment: {
        id: commentId,
        body: event.body,
        html_url: `https://github.com/acme/widgets/pull/${event.issueNumber}#discussion_r${commentId}`,
        user: author,
      },
    },
  };
}

/** Feeds a hand-built delivery to Probot; the payloads carry only what Factory reads. */
export function receive(
  probot: Probot,
  event: ReturnType<typeof issueCommentEvent | typeof reviewEvent | typeof reviewCommentEvent>,
) {
  return probot.receive(event as unknown as Parameters<Probot['receive']>[0]);
}

/** Runs the mail queue in this process with the given hooks; close it in afterAll. */
export function startMailWorkers(
  h: MailHarness,
  overrides: Partial<MailOptions> = {},
  concurrency = 1,
) {
  return startQueueWorkers({
    redisUrl: testRedisUrl,
    prefix: h.prefix,
    processors: mailProcessors(h.deps, overrides),
    log: h.deps.log,
    queues: ['mail'],
    concurrency: { mail: concurrency },
  });
}

/** Waits until a job has finished (completed or failed for good), polling with a deadline. */
export async function waitForJob(
  h: MailHarness,
  queue: QueueName,
  jobId: string,
  timeoutMs = 30_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await h.deps.queues.queue(queue).getJob(jobId);
    const state = job ? await job.getState() : 'missing';
    if (state === 'completed') return job!;
    if (state === 'failed' && job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
      throw new Error(`job ${jobId} failed: ${job.failedReason}`);
    }
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${state} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function commentJobId(kind: 'issue' | 'review' | 'review-comment', commentId: number) {
  return jobIds.forEntity('handle-comment', kind, commentId);
}
