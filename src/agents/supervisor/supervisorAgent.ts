import { and, desc, eq, ne } from 'drizzle-orm';
import { createAgent } from '../../db/agents.js';
import type { Database } from '../../db/connection.js';
import { agents, type Agent, type Epic } from '../../db/schema.js';

/** The epic's supervisor: one Agent row per epic, replaced only when it has FAILED. */
export async function ensureSupervisorAgent(
  db: Database,
  epic: Pick<Epic, 'id' | 'installationId'>,
): Promise<Agent> {
  const [existing] = await db
    .select()
    .from(agents)
    .where(
      and(eq(agents.kind, 'supervisor'), eq(agents.epicId, epic.id), ne(agents.state, 'FAILED')),
    )
    .orderBy(desc(agents.id))
    .limit(1);
  if (existing) return existing;
  return createAgent(db, {
    kind: 'supervisor',
    installationId: epic.installationId,
    epicId: epic.id,
  });
}
