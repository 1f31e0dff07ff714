import type { Epic } from '../../../db/schema.js';
import type { FactoryDeps } from '../../../deps.js';
import { sendMail } from '../../../mail/sendMail.js';
import { ensureOrchestratorAgent } from '../orchestratorAgent.js';

export interface OrchestratorMessage {
  epic: Epic;
  /** Where to post: the epic (default) or one of its task issues. */
  issueNumber?: number;
  taskId?: number;
  /** Makes the message happen once, whatever the retries and crashes. */
  dedupeKey: string;
  subject: string;
  body: string;
}

/** The orchestrator speaks to people through Mail, like every agent: a row and one comment. */
export async function tellPeople(deps: FactoryDeps, message: OrchestratorMessage) {
  const { epic } = message;
  return sendMail(deps, {
    installationId: epic.installationId,
    thread: {
      owner: epic.repoOwner,
      repo: epic.repoName,
      issueNumber: message.issueNumber ?? epic.issueNumber,
    },
    dedupeKey: message.dedupeKey,
    subject: message.subject,
    body: message.body,
    from: { agentId: await ensureOrchestratorAgent(deps.db, epic.installationId) },
    to: { humans: true },
    epicId: epic.id,
    taskId: message.taskId ?? null,
  });
}
