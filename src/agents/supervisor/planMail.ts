import type { Epic } from '../../db/schema.js';
import { answerMailTool, nextMailTurn } from '../../mail/agentMail.js';
import type { FlowServices } from '../flow/services.js';

/** A person writing faster than this many turns gets the rest at the supervisor's next run. */
const maxMailTurns = 3;

/**
 * Mail that reached the supervisor while it planned (it was BUSY, so people
 * were told it reads the message at its next turn): once the plan is in, the
 * supervisor gets the mail in its planning session, in the same checkout, and
 * answers with answer_mail. Changing the plan is `/factory replan`'s job; this
 * turn answers. A failed mail turn does not fail the planning: it is logged.
 */
export async function answerPlanningMail(
  flow: FlowServices,
  epic: Epic,
  session: {
    agentId: number;
    sessionId?: string;
    cwd: string;
    model: string;
    /** The planning run's system prompt: the session carries on under the same rules. */
    systemPrompt: string;
  },
): Promise<void> {
  const { db, env, log } = flow.deps;
  const answerMail = answerMailTool(flow.deps, {
    agentId: session.agentId,
    installationId: epic.installationId,
    owner: epic.repoOwner,
    repo: epic.repoName,
  });
  let sessionId = session.sessionId;
  for (let turn = 0; turn < maxMailTurns && sessionId; turn += 1) {
    const mail = await nextMailTurn(db, session.agentId);
    if (!mail) return;
    try {
      const result = await flow.deps.agents.run({
        role: 'supervisor',
        agentId: session.agentId,
        purpose: 'mail',
        cwd: session.cwd,
        systemPrompt: session.systemPrompt,
        prompt: mail,
        model: session.model,
        tools: [answerMail],
        resumeSessionId: sessionId,
        maxTurns: env.AGENT_MAX_TURNS,
        timeoutMs: env.AGENT_TIMEOUT_SECONDS * 1000,
        context: { installationId: epic.installationId, epicId: epic.id },
      });
      if (result.status !== 'succeeded') {
        log.warn({ epic: epic.id, error: result.error }, 'the supervisor could not read its mail');
        return;
      }
      sessionId = result.sessionId ?? sessionId;
    } catch (error) {
      log.warn({ epic: epic.id, err: error }, 'the supervisor could not read its mail');
      return;
    }
  }
}
