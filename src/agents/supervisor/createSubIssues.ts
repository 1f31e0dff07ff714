import { recordDecision } from '../../db/decisions.js';
import { findEpic, transitionEpic } from '../../db/epics.js';
import type { Epic, Task } from '../../db/schema.js';
import { listTasksOfEpic, updateTask, upsertTaskFromIssue } from '../../db/tasks.js';
import { hasStatus, type GitHub } from '../../github/octokit.js';
import type { JobPayload } from '../../queues/jobs.js';
import type { FlowServices } from '../flow/services.js';
import { orderTasks, type Plan, type PlanTask } from './plan.js';
import { parseStoredPlan } from './planEpic.js';
import { renderTaskIssueBody, taskIssueMarker } from './render.js';

/**
 * The `create-sub-issues` job: every task of the plan becomes a real issue,
 * added as a sub-issue of the epic, and a Task row. Each step looks before it
 * writes — the Task row by plan key, then an issue the bot created carrying
 * the task's hidden marker, then the epic's sub-issues — and the row is
 * written as soon as the issue exists, so a retry after a crash at any point
 * creates nothing twice.
 */

export type SubIssuesResult = 'skipped' | 'awaiting-approval' | 'created';

interface IssueRef {
  number: number;
  id: number;
}

export async function createSubIssues(
  flow: FlowServices,
  payload: JobPayload<'create-sub-issues'>,
): Promise<SubIssuesResult> {
  const { db } = flow.deps;
  const epic = await findEpic(db, payload.epicId);
  if (!epic || (epic.state !== 'PLANNING' && epic.state !== 'IN_PROGRESS')) return 'skipped';
  const plan = parseStoredPlan(epic.plan);
  if (!plan) return 'skipped';
  const config = await flow.repoConfig(epic);
  if (config.planApproval && !epic.planApprovedAt) return 'awaiting-approval';

  const octokit = await flow.octokit(epic.installationId);
  const ordered = orderTasks(plan.tasks);
  const rows = new Map<string, Task>();
  for (const task of await listTasksOfEpic(db, epic.id))
    if (task.planKey) rows.set(task.planKey, task);
  const created = ordered.some((task) => !rows.has(task.key))
    ? await findCreatedTaskIssues(octokit, epic, await flow.deps.github.botLogin())
    : new Map<string, IssueRef>();
  const subIssues = await listSubIssueIds(octokit, epic);

  for (const [position, planned] of ordered.entries()) {
    let row = rows.get(planned.key);
    if (!row) {
      const dependsOnIssues = planned.dependsOn.flatMap((key) => rows.get(key)?.issueNumber ?? []);
      const issue =
        created.get(planned.key) ??
        (await createTaskIssue(octokit, epic, planned, dependsOnIssues));
      row = await recordTask(flow, epic, planned, issue, position);
      rows.set(planned.key, row);
    }
    if (!subIssues.has(row.issueId)) await addSubIssue(octokit, epic, row.issueId);
  }
  await linkDependencies(flow, plan, rows);

  if (epic.state === 'PLANNING') {
    await transitionEpic(db, epic.id, 'IN_PROGRESS', { from: 'PLANNING' });
    await recordDecision(db, {
      decision: `created ${ordered.length} sub-issue${ordered.length === 1 ? '' : 's'} for epic #${epic.issueNumber}`,
      reasoning:
        'The plan was approved or needs no approval; each task is now an issue and a task record.',
      context: {
        tasks: ordered.map((task) => ({ key: task.key, issue: rows.get(task.key)?.issueNumber })),
      },
      epicId: epic.id,
    });
  }
  await flow.refreshProgress(epic, 'sub-issues-created');
  await flow.dispatch();
  return 'created';
}

async function recordTask(
  flow: FlowServices,
  epic: Epic,
  planned: PlanTask,
  issue: IssueRef,
  position: number,
) {
  const fields = {
    title: planned.title,
    description: planned.description,
    acceptanceCriteria: planned.acceptanceCriteria,
    planKey: planned.key,
    position,
  };
  const { task, created } = await upsertTaskFromIssue(flow.deps.db, {
    epicId: epic.id,
    issueNumber: issue.number,
    issueId: issue.id,
    ...fields,
  });
  // The sub-issue webhook may have recorded it first, without the plan's details.
  return created || task.planKey === planned.key ? task : updateTask(flow.deps.db, task.id, fields);
}

async function linkDependencies(flow: FlowServices, plan: Plan, rows: Map<string, Task>) {
  for (const planned of plan.tasks) {
    const row = rows.get(planned.key);
    if (!row) continue;
    const dependsOn = planned.dependsOn.flatMap((key) => rows.get(key)?.id ?? []);
    if (JSON.stringify(dependsOn) !== JSON.stringify(row.dependsOn)) {
      rows.set(planned.key, await updateTask(flow.deps.db, row.id, { dependsOn }));
    }
  }
}

async function createTaskIssue(
  octokit: GitHub,
  epic: Epic,
  planned: PlanTask,
  dependsOnIssues: number[],
) {
  const { data } = await octokit.rest.issues.create({
    owner: epic.repoOwner,
    repo: epic.repoName,
    title: planned.title,
    body: renderTaskIssueBody(epic.issueNumber, planned, dependsOnIssues),
  });
  return { number: data.number, id: data.id };
}

/** Issues the bot already created for this epic's plan, by the marker in their body. */
async function findCreatedTaskIssues(
  octokit: GitHub,
  epic: Epic,
  botLogin: string,
): Promise<Map<string, IssueRef>> {
  const found = new Map<string, IssueRef>();
  const prefix = taskIssueMarker(epic.issueNumber, '');
  const issues = await octokit.paginate(octokit.rest.issues.listForRepo, {
    owner: epic.repoOwner,
    repo: epic.repoName,
    creator: botLogin,
    state: 'all',
    since: epic.createdAt.toISOString(),
    per_page: 100,
  });
  for (const issue of issues) {
    if (issue.pull_request) continue;
    const body = issue.body ?? '';
    const at = body.indexOf(prefix.replace(/ -->$/, ''));
    if (at < 0) continue;
    const key = /key=([a-z0-9-]+) -->/.exec(body.slice(at))?.[1];
    if (key && !found.has(key)) found.set(key, { number: issue.number, id: issue.id });
  }
  return found;
}

async function listSubIssueIds(octokit: GitHub, epic: Epic): Promise<Set<number>> {
  const subIssues = await octokit.paginate(octokit.rest.issues.listSubIssues, {
    owner: epic.repoOwner,
    repo: epic.repoName,
    issue_number: epic.issueNumber,
    per_page: 100,
  });
  return new Set(subIssues.map((issue) => issue.id));
}

async function addSubIssue(octokit: GitHub, epic: Epic, issueId: number) {
  try {
    await octokit.rest.issues.addSubIssue({
      owner: epic.repoOwner,
      repo: epic.repoName,
      issue_number: epic.issueNumber,
      sub_issue_id: issueId,
    });
  } catch (error) {
    // Added between our listing and our write (GitHub answers 422 for a duplicate).
    if (!hasStatus(error, 422)) throw error;
  }
}
