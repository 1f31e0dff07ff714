import { asc, eq } from 'drizzle-orm';
import type { RepoConfig } from '../config/repoConfig.js';
import { loadRepoConfig } from '../config/loadRepoConfig.js';
import { crashPoint } from '../crashPoint.js';
import { findEpicSupervisorId } from '../db/agents.js';
import { recordDecision } from '../db/decisions.js';
import { getEpic, transitionEpic } from '../db/epics.js';
import { mergeQueueEntries, tasks, type Epic, type Task } from '../db/schema.js';
import { epicCost } from '../db/usage.js';
import { ensureComment, setStateLabel, type GitHub } from '../github/index.js';
import type { JobPayload } from '../queues/jobs.js';
import { jobIds } from '../queues/jobs.js';
import type { AdvanceDeps } from './advance.js';
import { summaryComment, type SummaryRow } from './summary.js';

/**
 * The `complete-epic` job, after the last merge: sub-issues closed, the epic
 * COMPLETED, one summary comment, labels, worktrees removed. Every part is
 * ensure-style, so a retry after a crash finishes what is left.
 */
export async function completeEpic(
  deps: AdvanceDeps,
  payload: JobPayload<'complete-epic'>,
): Promise<'completed' | 'not-finished'> {
  const epic = await getEpic(deps.db, payload.epicId);
  const rows = await deps.db
    .select({ task: tasks, entry: mergeQueueEntries })
    .from(tasks)
    .leftJoin(mergeQueueEntries, eq(mergeQueueEntries.taskId, tasks.id))
    .where(eq(tasks.epicId, epic.id))
    .orderBy(asc(tasks.position), asc(tasks.id));
  if (rows.length === 0 || rows.some((row) => row.task.state !== 'COMPLETED')) {
    deps.log.warn({ epic: epic.id }, 'complete-epic: not every task is completed; nothing done');
    return 'not-finished';
  }
  const octokit = await deps.github.forInstallation(payload.installationId);
  const repo = { owner: payload.owner, repo: payload.repo };
  const { config } = await loadRepoConfig(octokit, repo);

  for (const { task } of rows) await closeIssue(octokit, repo, task.issueNumber);
  crashPoint(deps.env, 'complete-epic');
  const completed = await markCompleted(deps, epic);
  const cost = await epicCost(deps.db, epic.id);
  const summary: SummaryRow[] = rows.map(({ task, entry }) => summaryRow(task, entry));
  await ensureComment(octokit, {
    ...repo,
    issueNumber: epic.issueNumber,
    key: 'merge-queue:epic-summary',
    body: summaryComment({
      epic: completed,
      rows: summary,
      costUsd: cost.costUsd,
      tokens: cost.totalTokens,
    }),
  });
  await setLabels(
    octokit,
    repo,
    config,
    epic,
    rows.map((row) => row.task),
  );
  await closeIssue(octokit, repo, epic.issueNumber);
  const removed = await deps.git.removeEpicWorktrees(
    { installationId: payload.installationId, ...repo },
    epic.issueNumber,
  );
  await recordDecision(deps.db, {
    agentId: await findEpicSupervisorId(deps.db, epic.id),
    epicId: epic.id,
    decision: 'merge-queue complete-epic',
    reasoning: `every task merged; ${rows.length} PRs, ${removed.length} worktrees removed`,
    context: { costUsd: cost.costUsd, worktrees: removed.length },
  });
  await deps.queues.enqueue(
    'update-progress',
    { ...payload, epicId: epic.id },
    { jobId: jobIds.forEntity('update-progress', epic.id, 'completed') },
  );
  await deps.queues.removeDelayedOfEpic('advance-merge-queue', epic.id);
  return 'completed';
}

async function markCompleted(deps: AdvanceDeps, epic: Epic): Promise<Epic> {
  if (epic.state === 'COMPLETED') return epic;
  if (epic.state === 'BLOCKED') {
    await transitionEpic(deps.db, epic.id, 'IN_PROGRESS', { from: 'BLOCKED' });
  }
  return transitionEpic(deps.db, epic.id, 'COMPLETED', { from: ['IN_PROGRESS', 'BLOCKED'] });
}

function summaryRow(task: Task, entry: typeof mergeQueueEntries.$inferSelect | null): SummaryRow {
  return {
    issueNumber: task.issueNumber,
    title: task.title,
    prNumber: entry?.prNumber ?? task.prNumber,
    mergedSha: entry?.mergedSha ?? null,
    reworkRounds: entry?.reworkRounds ?? 0,
  };
}

async function closeIssue(
  octokit: GitHub,
  repo: { owner: string; repo: string },
  issueNumber: number,
) {
  const { data } = await octokit.rest.issues.get({ ...repo, issue_number: issueNumber });
  if (data.state === 'closed') return;
  await octokit.rest.issues.update({
    ...repo,
    issue_number: issueNumber,
    state: 'closed',
    state_reason: 'completed',
  });
}

async function setLabels(
  octokit: GitHub,
  repo: { owner: string; repo: string },
  config: RepoConfig,
  epic: Epic,
  done: Task[],
) {
  for (const issueNumber of [epic.issueNumber, ...done.map((t) => t.issueNumber)]) {
    await setStateLabel(octokit, { ...repo, issueNumber, labels: config.labels, state: 'done' });
  }
}
