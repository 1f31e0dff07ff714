/**
 * The agent runtime, for the rest of Factory:
 *
 *   const agents = createAgentRunnerFromEnv(env, db, log);   // an AgentRunner
 *   await agents.run({ role: 'worker', agentId, purpose: 'implement', cwd: worktree,
 *                      systemPrompt, prompt, model, tools, context: { epicId, taskId } });
 *   await agents.runStructured(request, { toolName: 'submit_plan', description, schema });
 *   const listener = await listenForAgentCancels(env, log);  // in every process running agents
 *   await publishAgentCancel(redis, env.REDIS_PREFIX, agentId, 'cancelled by @someone');
 *
 * Prompts: `assemblePrompts` (agents/prompts/assemble.ts) with `loadRolePrompt`
 * and `loadRepoInstructions` (agents/prompts/loadPrompts.ts).
 */
export type * from './types.js';
export { createAgentRunner, type AgentRunnerConfig } from './runner.js';
export { createAgentRunnerFromEnv, listenForAgentCancels } from './fromEnv.js';
export {
  cancelAgentRun,
  isAgentRunning,
  publishAgentCancel,
  startAgentCancelListener,
  type AgentCancelListener,
} from './cancellation.js';
export { buildAgentEnv, repoAgentEnv, isSecretName } from './agentEnv.js';
export { factoryToolName } from './factoryTools.js';
export { rolePolicy, decideToolUse } from './toolPolicy.js';
