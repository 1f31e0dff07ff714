import type { Context, Probot } from 'probot';
import { findEpicByIssueId } from '../db/epics.js';
import type { Epic } from '../db/schema.js';
import { nextTaskPosition, upsertTaskFromIssue } from '../db/tasks.js';
import type { FactoryDeps } from '../deps.js';
import { finishedEpicStates } from '../domain/epicStateMachine.js';
import { ensureImplementJob } from '../agents/worker/implementJob.js';
import { intake, type IntakeOutcome } from './intake.js';

/**
 * A sub-issue a person adds under an epic becomes a task like the planned
 * ones. (Sub-issues the supervisor creates arrive as the bot's own events and
 * are ignored here: the supervisor records those tasks itself, on the same
 * unique row.)
 */
export function registerSubIssueIntake(app: Probot, deps: FactoryDeps) {
  app.on('sub_issues.sub_issue_added', (context) =>
    intake(deps, context, () => recordSubIssueAdded(deps, context)),
  );
}

async function recordSubIssueAdded(
  deps: FactoryDeps,
  context: Context<'sub_issues.sub_issue_added'>,
): Promise<IntakeOutcome> {
  const { parent_issue: parent, sub_issue: subIssue, sub_issue_repo: subRepo } = context.payload;
  const epic = await findEpicByIssueId(deps.db, parent.id);
  if (!epic) return { ignored: `issue #${parent.number} is not an epic` };
  if (finishedEpicStates.includes(epic.state)) return { ignored: `epic is ${epic.state}` };
  if (subRepo.id !== epic.repoId) {
    return { ignored: `sub-issue #${subIssue.number} lives in another repository` };
  }
  return addTaskForSubIssue(deps, epic, subIssue);
}

/**
 * A sub-issue under a known epic becomes a PENDING task with its first
 * attempt queued. Shared with reconciliation, which calls it for a sub-issue
 * whose webhook never arrived.
 */
export async function addTaskForSubIssue(
  deps: FactoryDeps,
  epic: Epic,
  subIssue: { id: number; number: number; title: string; body?: string | null },
): Promise<IntakeOutcome> {
  const position = await nextTaskPosition(deps.db, epic.id);
  const { task } = await upsertTaskFromIssue(deps.db, {
    epicId: epic.id,
    issueNumber: subIssue.number,
    issueId: subIssue.id,
    title: subIssue.title,
    description: subIssue.body ?? '',
    position,
  });
  if (task.state !== 'PENDING') return { ignored: `task #${task.issueNumber} is ${task.state}` };
  await ensureImplementJob(deps, epic, task, task.attempts + 1);
  return 'enqueued';
}
