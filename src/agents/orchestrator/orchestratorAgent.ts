import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/connection.js';
import { recordDecision as recordDecisionRow } from '../../db/decisions.js';
import { agents } from '../../db/schema.js';

/**
 * The orchestrator is one Agent row per installation (PRODUCT.md §2). It runs
 * no model for its core work; the row exists so its decisions are attributed
 * and the status page shows when it last looked (its heartbeat).
 */
export async function ensureOrchestratorAgent(db: Database, installationId: number) {
  const existing = await findOrchestrator(db, installationId);
  if (existing) return existing;
  return db.transaction(async (tx) => {
    // Two processes passing at once must not create two orchestrators.
    await tx.execute(
      sql`select pg_advisory_xact_lock(hashtext(${`factory:orchestrator:${installationId}`}))`,
    );
    const raced = await findOrchestrator(tx, installationId);
    if (raced) return raced;
    const [created] = await tx
      .insert(agents)
      .values({ kind: 'orchestrator', state: 'IDLE', installationId, lastHeartbeatAt: new Date() })
      .returning({ id: agents.id });
    if (!created)
      throw new Error(`Could not create the orchestrator of installation ${installationId}`);
    return created.id;
  });
}

async function findOrchestrator(db: Database, installationId: number) {
  const [row] = await db
    .select({ id: agents.id })
    .from(agents)
    .where(and(eq(agents.kind, 'orchestrator'), eq(agents.installationId, installationId)))
    .orderBy(agents.id)
    .limit(1);
  return row?.id;
}

/** The orchestrator's heartbeat: written at every pass so people can see it is alive. */
export async function touchOrchestrator(db: Database, agentId: number, now = new Date()) {
  await db.update(agents).set({ lastHeartbeatAt: now }).where(eq(agents.id, agentId));
}

export interface OrchestratorDecision {
  installationId: number;
  epicId?: number | null;
  taskId?: number | null;
  /** A short verb phrase: `requeue-task`, `fail-task`, `park-epic`, `repair:add-task`, … */
  decision: string;
  reasoning: string;
  context?: Record<string, unknown>;
}

/** Every decision of the orchestrator is a DecisionLog row, attributed to its Agent row. */
export async function recordDecision(db: Database, entry: OrchestratorDecision) {
  const { installationId, ...decision } = entry;
  const agentId = await ensureOrchestratorAgent(db, installationId);
  return recordDecisionRow(db, { ...decision, agentId });
}
