import { and, eq, inArray, or, type SQL } from 'drizzle-orm';
import type { Context, Probot } from 'probot';
import type { IntakeRegistration } from '../app.js';
import type { Database } from '../db/connection.js';
import { epics, tasks, type TaskState } from '../db/schema.js';
import type { FactoryDeps } from '../deps.js';
import { activeTaskStates } from '../domain/taskStateMachine.js';
import { intake } from '../intake/intake.js';
import { jobIds } from '../queues/jobs.js';

/**
 * Webhooks that move an epic's PR queue: the PR closed (merged or not, by a
 * person), reopened or pushed to, a review's verdict, checks and statuses finishing.
 * Each finds the epic that owns the PR and wakes its queue; the queue's job
 * reads GitHub itself, so nothing here trusts the payload beyond routing.
 * (Review bodies and comments are mail, handled by the mail part.)
 */

export interface PrRoute {
  repoId: number;
  prNumbers?: number[];
  branches?: string[];
  sha?: string;
}

/**
 * The active epics whose tasks own these PRs, branches or head commit — tasks
 * in `taskStates`: the active ones, or also BLOCKED for a reopened PR.
 */
export async function epicsForPr(
  db: Database,
  route: PrRoute,
  taskStates: readonly TaskState[] = activeTaskStates,
): Promise<number[]> {
  const owns: SQL[] = [];
  if (route.prNumbers?.length) owns.push(inArray(tasks.prNumber, route.prNumbers));
  if (route.branches?.length) owns.push(inArray(tasks.branch, route.branches));
  if (route.sha) owns.push(eq(tasks.headSha, route.sha));
  const anyOwner = or(...owns);
  if (!anyOwner) return [];
  const rows = await db
    .selectDistinct({ epicId: tasks.epicId })
    .from(tasks)
    .innerJoin(epics, eq(epics.id, tasks.epicId))
    .where(
      and(
        eq(epics.repoId, route.repoId),
        inArray(epics.state, ['IN_PROGRESS', 'BLOCKED']),
        inArray(tasks.state, [...taskStates]),
        anyOwner,
      ),
    );
  return rows.map((row) => row.epicId);
}

interface RepoPayload {
  installation?: { id: number };
  repository: { id: number; name: string; owner: { login: string } };
}

async function wakeEpicsOf(
  deps: FactoryDeps,
  context: Context,
  route: Omit<PrRoute, 'repoId'>,
  reopened?: { prNumber: number },
): Promise<'enqueued' | { ignored: string }> {
  const payload = context.payload as RepoPayload;
  const installationId = payload.installation?.id;
  if (!installationId) return { ignored: 'no installation in the payload' };
  const epicIds = await epicsForPr(
    deps.db,
    { ...route, repoId: payload.repository.id },
    reopened ? reopenableTaskStates : activeTaskStates,
  );
  if (epicIds.length === 0) return { ignored: 'not a PR of an active epic' };
  for (const epicId of epicIds) {
    await deps.queues.enqueue(
      'advance-merge-queue',
      {
        epicId,
        installationId,
        owner: payload.repository.owner.login,
        repo: payload.repository.name,
        ...(reopened ? { reopened: reopened.prNumber } : {}),
      },
      { jobId: `${jobIds.fromDelivery('advance-merge-queue', context.id)}-e${epicId}` },
    );
  }
  return 'enqueued';
}

/** A reopened PR's task was BLOCKED when its PR was closed (or is back in REVIEW on a retry). */
const reopenableTaskStates: readonly TaskState[] = ['BLOCKED', 'REVIEW'];

const pullNumber = (context: Context) =>
  (context.payload as { pull_request: { number: number } }).pull_request.number;

export const registerMergeQueueIntake: IntakeRegistration = (app: Probot, deps: FactoryDeps) => {
  app.on(
    [
      'pull_request.closed',
      'pull_request.synchronize',
      'pull_request.ready_for_review',
      'pull_request.converted_to_draft',
      'pull_request_review.submitted',
      'pull_request_review.dismissed',
    ],
    (context) =>
      intake(deps, context, () => wakeEpicsOf(deps, context, { prNumbers: [pullNumber(context)] })),
  );

  // A person reopening a bot PR closed without merging puts its blocked task back in the queue.
  app.on('pull_request.reopened', (context) =>
    intake(deps, context, () =>
      wakeEpicsOf(
        deps,
        context,
        { prNumbers: [pullNumber(context)] },
        {
          prNumber: pullNumber(context),
        },
      ),
    ),
  );

  // CI is usually another App: its events are accepted (the App's own are not).
  app.on('check_suite.completed', (context) => {
    const suite = context.payload.check_suite;
    return intake(
      deps,
      context,
      () =>
        wakeEpicsOf(deps, context, {
          prNumbers: suite.pull_requests.map((pr) => pr.number),
          branches: suite.head_branch ? [suite.head_branch] : [],
          sha: suite.head_sha,
        }),
      { acceptOtherBots: true },
    );
  });
  app.on('check_run.completed', (context) => {
    const run = context.payload.check_run;
    return intake(
      deps,
      context,
      () =>
        wakeEpicsOf(deps, context, {
          prNumbers: run.pull_requests.map((pr) => pr.number),
          branches: run.check_suite.head_branch ? [run.check_suite.head_branch] : [],
          sha: run.head_sha,
        }),
      { acceptOtherBots: true },
    );
  });
  app.on('status', (context) => {
    const status = context.payload;
    return intake(
      deps,
      context,
      async () =>
        status.state === 'pending'
          ? { ignored: 'a pending status changes no decision' }
          : wakeEpicsOf(deps, context, {
              branches: status.branches.map((branch) => branch.name),
              sha: status.sha,
            }),
      { acceptOtherBots: true },
    );
  });
};
