import { eq } from 'drizzle-orm';
import { heldLease, listLeases, releaseLease } from '../../../db/leases.js';
import { epics, type Lease } from '../../../db/schema.js';
import { decideLeaseRelease, type HolderJobLiveness } from '../../../domain/lease.js';
import { jobIds, queueNames, type QueueName } from '../../../queues/jobs.js';
import type { OrchestratorDeps } from '../orchestratorDeps.js';
import { recordDecision } from '../orchestratorAgent.js';
import { lookUpJobIn } from './jobLiveness.js';

export interface ReleasedLease {
  resource: string;
  step: string;
  reason: string;
}

/**
 * The health pass's part for leases: one whose holder is gone (its job no
 * longer runs, or it stopped renewing) is released, the release recorded with
 * its reason, and the epic's merge queue woken to take the step up again.
 */
export async function releaseDeadLeases(deps: OrchestratorDeps): Promise<ReleasedLease[]> {
  const released: ReleasedLease[] = [];
  for (const lease of await listLeases(deps.db)) {
    const decision = decideLeaseRelease(
      heldLease(lease),
      await holderLiveness(deps, lease),
      deps.now(),
    );
    if (decision.kind === 'keep') continue;
    // Guarded on the claim it read: a holder that renewed, or a new claim, keeps it.
    if (!(await releaseLease(deps.db, lease.resource, lease.token))) continue;
    deps.log.warn(
      { resource: lease.resource, step: lease.step, reason: decision.reason },
      'lease released',
    );
    released.push({ resource: lease.resource, step: lease.step, reason: decision.reason });
    await afterRelease(deps, lease, decision.reason);
  }
  return released;
}

async function holderLiveness(deps: OrchestratorDeps, lease: Lease): Promise<HolderJobLiveness> {
  const ref = parseJobRef(lease.holderJob);
  if (!ref) return 'none';
  return (await lookUpJobIn(deps.queues, ref.queue, ref.jobId)).liveness;
}

/** `queue:jobId` as leaseHolderOf writes it; job ids may hold colons themselves. */
export function parseJobRef(ref: string | null): { queue: QueueName; jobId: string } | undefined {
  if (!ref) return undefined;
  const colon = ref.indexOf(':');
  const queue = queueNames.find((name) => name === ref.slice(0, colon));
  return queue && colon > 0 ? { queue, jobId: ref.slice(colon + 1) } : undefined;
}

async function afterRelease(deps: OrchestratorDeps, lease: Lease, reason: string) {
  if (lease.epicId === null) return;
  const [epic] = await deps.db.select().from(epics).where(eq(epics.id, lease.epicId));
  if (!epic) return;
  await recordDecision(deps.db, {
    installationId: epic.installationId,
    epicId: epic.id,
    taskId: lease.taskId ?? undefined,
    decision: `lease-released: ${lease.resource}`,
    reasoning: reason,
    context: {
      resource: lease.resource,
      step: lease.step,
      holder: { job: lease.holderJob, process: lease.holderProcess },
      until: lease.until.toISOString(),
    },
  });
  if (!lease.resource.startsWith('merge-queue-entry:')) return;
  await deps.queues.enqueue(
    'advance-merge-queue',
    {
      epicId: epic.id,
      installationId: epic.installationId,
      owner: epic.repoOwner,
      repo: epic.repoName,
    },
    { jobId: jobIds.forEntity('advance-merge-queue', epic.id, 'lease-released', lease.token) },
  );
}
