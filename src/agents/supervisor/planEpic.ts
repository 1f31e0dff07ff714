import { createHash } from 'node:crypto';
import type { Job } from 'bullmq';
import { and, eq, isNull } from 'drizzle-orm';
import { recordDecision } from '../../db/decisions.js';
import { findEpic, transitionEpic } from '../../db/epics.js';
import { epics, type Epic } from '../../db/schema.js';
import { ensureComment } from '../../github/comments.js';
import { planCheckoutPath, type RepoPlace } from '../../git/layout.js';
import { ensureMirror } from '../../git/mirror.js';
import { addReadOnlyCheckout, removeWorktree } from '../../git/worktree.js';
import { jobIds, type JobPayload } from '../../queues/jobs.js';
import type { FlowServices } from '../flow/services.js';
import { planSchema, type Plan } from './plan.js';
import { planPrompts, submitPlanTool } from './prompt.js';
import { answerPlanningMail } from './planMail.js';
import { renderPlanComment } from './render.js';
import { repoBudgets } from '../runtime/modelProxy/repoBudgets.js';
import { ensureSupervisorAgent } from './supervisorAgent.js';

/**
 * The `plan-epic` job: the supervisor explores a read-only checkout of the
 * base branch and submits a plan; the plan is stored once (a retried job
 * reuses it instead of asking the model again), posted as one comment and
 * recorded as a decision. Then the epic either waits for `/factory approve`
 * or goes on to its sub-issues. A plan that cannot be made blocks the epic
 * with the reason.
 */

export type PlanResult = 'skipped' | 'awaiting-approval' | 'planned' | 'blocked';

export async function planEpic(
  flow: FlowServices,
  payload: JobPayload<'plan-epic'>,
  job: Pick<Job, 'attemptsMade' | 'opts'>,
): Promise<PlanResult> {
  const { db } = flow.deps;
  const epic = await findEpic(db, payload.epicId);
  if (!epic || epic.state !== 'PLANNING') return 'skipped';
  const config = await flow.repoConfig(epic);

  let plan = parseStoredPlan(epic.plan);
  if (!plan) {
    const made = await makePlan(flow, epic);
    if (made.kind === 'failed') {
      const finalTry = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (made.retryable && !finalTry)
        throw new Error(`Planning failed, will retry: ${made.reason}`);
      await blockPlanning(flow, epic, made.reason);
      return 'blocked';
    }
    plan = made.plan;
  }

  const awaitingApproval = config.planApproval && !epic.planApprovedAt;
  const octokit = await flow.octokit(epic.installationId);
  await ensureComment(octokit, {
    owner: epic.repoOwner,
    repo: epic.repoName,
    issueNumber: epic.issueNumber,
    key: 'plan',
    body: renderPlanComment(plan, { awaitingApproval }),
  });
  await flow.refreshProgress(epic, `planned-${planVersion(plan)}`);
  if (awaitingApproval) return 'awaiting-approval';
  await flow.deps.queues.enqueue(
    'create-sub-issues',
    {
      epicId: epic.id,
      installationId: epic.installationId,
      owner: epic.repoOwner,
      repo: epic.repoName,
    },
    { jobId: jobIds.forEntity('create-sub-issues', epic.id, planVersion(plan)) },
  );
  return 'planned';
}

type MadePlan =
  { kind: 'made'; plan: Plan } | { kind: 'failed'; reason: string; retryable: boolean };

async function makePlan(flow: FlowServices, epic: Epic): Promise<MadePlan> {
  const { db, env } = flow.deps;
  const octokit = await flow.octokit(epic.installationId);
  const ref = { owner: epic.repoOwner, repo: epic.repoName };
  const facts = await flow.access.repository(octokit, ref);
  const baseBranch = epic.baseBranch ?? facts.defaultBranch;
  const place: RepoPlace = { root: env.WORKTREE_DIR, ...ref };
  const mirror = await ensureMirror(
    place,
    await flow.access.credentials(epic.installationId, facts.cloneUrl),
  );
  const checkout = planCheckoutPath(place, epic.issueNumber);
  const baseSha = await addReadOnlyCheckout(mirror, checkout, baseBranch);
  const agent = await ensureSupervisorAgent(db, epic);
  const config = await flow.repoConfig(epic);
  try {
    const prompts = await planPrompts({ epic, baseBranch, checkout });
    const result = await flow.deps.agents.runStructured(
      {
        role: 'supervisor',
        agentId: agent.id,
        purpose: 'plan',
        cwd: checkout,
        systemPrompt: prompts.systemPrompt,
        prompt: prompts.prompt,
        model: config.models.supervisor ?? env.MODEL_SUPERVISOR,
        maxTurns: env.AGENT_MAX_TURNS,
        timeoutMs: env.AGENT_TIMEOUT_SECONDS * 1000,
        context: { installationId: epic.installationId, epicId: epic.id },
        budgets: { epic: repoBudgets(config.budget).epic },
      },
      {
        toolName: submitPlanTool,
        description: 'Submit the plan of the epic: its tasks and their dependencies.',
        schema: planSchema,
      },
    );
    if (result.status !== 'succeeded' || !result.output) {
      const reason = result.error
        ? `${result.error.kind}: ${result.error.message}`
        : `the planning run ended ${result.status} without a plan`;
      return { kind: 'failed', reason, retryable: result.error?.retryable ?? false };
    }
    const plan = result.output;
    const [stored] = await db
      .update(epics)
      .set({ plan, baseBranch })
      .where(and(eq(epics.id, epic.id), eq(epics.state, 'PLANNING'), isNull(epics.plan)))
      .returning();
    const kept = stored ? plan : (parseStoredPlan((await findEpic(db, epic.id))?.plan) ?? plan);
    await answerPlanningMail(flow, epic, {
      agentId: agent.id,
      sessionId: result.sessionId,
      cwd: checkout,
      model: config.models.supervisor ?? env.MODEL_SUPERVISOR,
      systemPrompt: prompts.systemPrompt,
    });
    if (stored) {
      await recordDecision(db, {
        decision: `planned epic #${epic.issueNumber} as ${plan.tasks.length} task${plan.tasks.length === 1 ? '' : 's'}`,
        reasoning: plan.summary,
        context: { plan, baseBranch, baseSha, runId: result.runId },
        agentId: agent.id,
        epicId: epic.id,
      });
    }
    return { kind: 'made', plan: kept };
  } finally {
    await removeWorktree(mirror, checkout);
  }
}

async function blockPlanning(flow: FlowServices, epic: Epic, reason: string) {
  await transitionEpic(flow.deps.db, epic.id, 'BLOCKED', {
    from: 'PLANNING',
    reason: `planning failed: ${reason}`,
  });
  await recordDecision(flow.deps.db, {
    decision: `could not plan epic #${epic.issueNumber}`,
    reasoning: reason,
    epicId: epic.id,
  });
  const octokit = await flow.octokit(epic.installationId);
  await ensureComment(octokit, {
    owner: epic.repoOwner,
    repo: epic.repoName,
    issueNumber: epic.issueNumber,
    key: 'plan',
    body: `### Factory could not plan this epic\n\n${reason.replace(/<!--/g, '&lt;!--')}\n\nComment \`/factory replan\` to try again.`,
  });
  await flow.refreshProgress(epic, 'planning-BLOCKED');
}

export function parseStoredPlan(value: unknown): Plan | undefined {
  if (value === null || value === undefined) return undefined;
  const parsed = planSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** A short digest naming this plan, so a new plan (after `/factory replan`) gets new job ids. */
export function planVersion(plan: Plan): string {
  return createHash('sha256').update(JSON.stringify(plan)).digest('hex').slice(0, 12);
}
