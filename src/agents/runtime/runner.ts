import { tmpdir } from 'node:os';
import path from 'node:path';
import { query, type Options } from '@anthropic-ai/claude-agent-sdk';
import type { Database } from '../../db/connection.js';
import type { Logger } from '../../logger.js';
import { buildAgentEnv } from './agentEnv.js';
import { ensureAgentHome, workspaceHome } from './agentHome.js';
import { AgentCancelledError, registerAgentRun } from './cancellation.js';
import {
  classifyError,
  describeKind,
  kindOfEngineError,
  retryDelayMs,
  type ClassifiedError,
} from './classifyError.js';
import { recordDecision } from '../../db/decisions.js';
import { mergeUsage, newEngineRunState, observe, type EngineRunState } from './engineRun.js';
import { factoryToolServer } from './factoryTools.js';
import {
  finishRun,
  heartbeat,
  moveAgent,
  recordUsage,
  saveSession,
  startRun,
  type UsageByModel,
} from './runRecords.js';
import { retryInfrastructure, writeIfYouCan } from './infrastructureRetry.js';
import { beatWhileRunning } from './heartbeatTimer.js';
import { BudgetReachedError, InvalidOutputError, TimeoutError } from './runErrors.js';
import { createJail, JailUnavailableError, type EngineJail, type Jail } from './jail/jail.js';
import type { Limits } from './modelProxy/budgetDecision.js';
import { databaseModelProxy } from './modelProxy/fromDatabase.js';
import type { ModelProxy, ProxyRun } from './modelProxy/modelProxy.js';
import { sessionTranscriptExists } from './sessionTranscript.js';
import { runStructured } from './structured.js';
import { createToolGuard, type ToolInterceptor } from './toolGuard.js';
import { rolePolicy } from './toolPolicy.js';
import type {
  AgentRunner,
  AgentRunRequest,
  AgentRunResult,
  AgentUsage,
  FactoryTool,
} from './types.js';

/**
 * The AgentRunner on the Claude Agent SDK. One run = one agent_runs row:
 * the agent goes BUSY, the engine runs in `cwd` with the role's tools, the
 * allow-listed environment and the Factory tools, heartbeats are written as
 * messages arrive, and the agent goes back to IDLE (or WAITING, or FAILED
 * with the reason) at the end.
 *
 * The engine reaches the model only through the model proxy (modelProxy/),
 * with a token that dies with the run. Usage is the proxy's: it records each
 * request it served as it serves it. The engine's own result figures are not
 * recorded — they would count the same requests twice, are missing when a
 * run is cut short, and come from the process the budgets must not trust.
 */

export interface AgentRunnerConfig {
  db: Database;
  log: Logger;
  /** The model's key and address; tests and the demo point baseUrl at the scripted model. */
  model: { apiKey?: string; baseUrl?: string };
  /** The app's environment, source of the allow-listed variables. */
  env?: Readonly<Record<string, string | undefined>>;
  timeoutMs: number;
  maxTurns: number;
  /** Least time between two heartbeat writes of one agent. */
  heartbeatIntervalMs?: number;
  /** Retries the engine itself makes on 429/529 (CLAUDE_CODE_MAX_RETRIES), with its own backoff. */
  engineRetries?: number;
  /** After the engine gives up on a retryable error: further runs of the session, with backoff. */
  retry?: { attempts: number; baseDelayMs: number };
  /**
   * Root of the agents' homes (one per workspace, see agentHome.ts; session
   * transcripts live there). Processes that resume each other's sessions must
   * share it. Default: <tmpdir>/factory-agent-home.
   */
  agentHome?: string;
  /** Where the engine writes its debug log (troubleshooting only). */
  engineDebugFile?: string;
  /** A different Claude Code executable (defaults to the one the SDK ships). */
  pathToClaudeCodeExecutable?: string;
  /** How the run's closing writes are retried while the database is away (tests shorten it). */
  infrastructureRetry?: { tries?: number; baseDelayMs?: number };
  /** The jail every engine runs in (jail/jail.ts); default: on, with bwrap and socat from PATH. */
  jail?: Jail;
  /** The model proxy every run goes through; default: one recording into `db`, upstream `model`. */
  modelProxy?: ModelProxy;
  /** The cap of one run, enforced by the proxy (AGENT_RUN_BUDGET_USD / _TOKENS); default $10. */
  runBudget?: Limits;
}

/** The config as the runner holds it: the jail and proxy chosen. */
type RunnerConfig = AgentRunnerConfig & { jail: Jail; modelProxy: ModelProxy };

export const defaultRunBudget: Limits = { usd: 10 };

/** Internal extras for one run (runStructured adds its submit tool and check here). */
export interface RunExtras {
  tools?: FactoryTool[];
  intercept?: ToolInterceptor;
  /** Lets the extras stop the run (e.g. a second invalid submission). */
  controller?: (abort: (reason: Error) => void) => void;
}

export function createAgentRunner(given: AgentRunnerConfig): AgentRunner & {
  runWith(request: AgentRunRequest, extras: RunExtras): Promise<AgentRunResult>;
  sessionTranscriptExists(sessionId: string, cwd: string): boolean;
} {
  const config: RunnerConfig = {
    ...given,
    jail: given.jail ?? createJail({ mode: 'on', log: given.log }),
    modelProxy:
      given.modelProxy ??
      databaseModelProxy({
        db: given.db,
        log: given.log,
        upstream: given.model,
        retry: given.infrastructureRetry,
      }),
  };
  const runner = {
    jail: config.jail,
    sessionTranscriptExists: (sessionId: string, cwd: string) =>
      sessionTranscriptExists(workspaceHome(agentHomeOf(config), cwd), sessionId, cwd),
    run: (request: AgentRunRequest) => runAgent(config, request, {}),
    runWith: (request: AgentRunRequest, extras: RunExtras) => runAgent(config, request, extras),
    runStructured<T>(
      request: AgentRunRequest,
      submit: Parameters<AgentRunner['runStructured']>[1] & { schema: import('zod').ZodType<T> },
    ) {
      return runStructured<T>(runner, config.db, request, submit);
    },
  };
  return runner;
}

async function runAgent(
  config: RunnerConfig,
  request: AgentRunRequest,
  extras: RunExtras,
): Promise<AgentRunResult> {
  const { db } = config;
  const log = config.log.child({
    agentId: request.agentId,
    role: request.role,
    purpose: request.purpose,
    epicId: request.context.epicId,
    taskId: request.context.taskId,
  });
  const runId = await startRun(db, {
    agentId: request.agentId,
    purpose: request.purpose,
    model: request.model,
    prompt: recordedPrompt(request),
  });
  // One cancel handle for the whole run, so a cancel also lands between retries.
  const cancel = new AbortController();
  const unregister = registerAgentRun(request.agentId, cancel);
  const onOuterAbort = () =>
    cancel.abort(new AgentCancelledError(reasonText(request.signal?.reason)));
  if (request.signal?.aborted) onOuterAbort();
  request.signal?.addEventListener('abort', onOuterAbort, { once: true });
  // The run's token is minted here and dies when the run ends, whatever ends it.
  const proxyRun = config.modelProxy.openRun(
    { runId, agentId: request.agentId, ...request.context },
    { run: config.runBudget ?? defaultRunBudget, ...request.budgets },
  );
  try {
    return await attemptRun(config, request, extras, { runId, proxyRun }, cancel.signal, log);
  } finally {
    await proxyRun.close();
    unregister();
    request.signal?.removeEventListener('abort', onOuterAbort);
  }
}

async function attemptRun(
  config: RunnerConfig,
  request: AgentRunRequest,
  extras: RunExtras,
  { runId, proxyRun }: { runId: number; proxyRun: ProxyRun },
  cancelled: AbortSignal,
  log: Logger,
): Promise<AgentRunResult> {
  let attempt = 1;
  let resume = request.resumeSessionId;
  let outcome: Attempt;
  for (;;) {
    outcome = await runOnce(
      config,
      request,
      extras,
      proxyRun,
      { resume, isRetry: attempt > 1, cancelled },
      log,
    );
    const retry = config.retry ?? { attempts: 2, baseDelayMs: 5_000 };
    if (!outcome.error?.retryable || attempt >= retry.attempts) break;
    const delay = retryDelayMs(attempt, retry.baseDelayMs);
    log.warn(
      { error: outcome.error, attempt, delayMs: delay },
      'agent run hit a retryable model error; retrying',
    );
    if (!(await sleep(delay, cancelled))) break;
    resume = outcome.state.sessionId ?? resume;
    attempt += 1;
  }
  // Closed before the end is recorded: every served request is counted by then.
  await proxyRun.close();
  return finish(config, request, { runId, proxyRun }, outcome, log);
}

interface Attempt {
  state: EngineRunState;
  error?: ClassifiedError;
  cancelled: boolean;
}

async function runOnce(
  config: RunnerConfig,
  request: AgentRunRequest,
  extras: RunExtras,
  proxyRun: ProxyRun,
  { resume, isRetry, cancelled }: { resume?: string; isRetry: boolean; cancelled: AbortSignal },
  log: Logger,
): Promise<Attempt> {
  const controller = new AbortController();
  const abort = (reason: unknown) => {
    if (!controller.signal.aborted) controller.abort(reason);
  };
  const onCancel = () => abort(cancelled.reason);
  if (cancelled.aborted) onCancel();
  cancelled.addEventListener('abort', onCancel, { once: true });
  const timeoutMs = request.timeoutMs ?? config.timeoutMs;
  const timer = setTimeout(
    () =>
      abort(
        new TimeoutError(
          `The run took longer than ${Math.round(timeoutMs / 1000)} s and was stopped.`,
        ),
      ),
    timeoutMs,
  );
  extras.controller?.(abort);
  // The proxy refused a request for budget: the run ends now, not when the engine gives up.
  proxyRun.onCut((cut) => abort(new BudgetReachedError(cut)));

  const state = newEngineRunState();
  let thrown: unknown;
  let savedSession: string | undefined;
  const beats = beatWhileRunning(
    () => writeIfYouCan(log, 'write a heartbeat', () => heartbeat(config.db, request.agentId)),
    config.heartbeatIntervalMs ?? 10_000,
  );
  let jailed: EngineJail | undefined;
  try {
    const prompt =
      isRetry && resume
        ? 'The model API was unavailable for a while. Continue where you left off.'
        : request.prompt;
    jailed = await openJail(config, request, proxyRun, log);
    for await (const message of query({
      prompt,
      options: engineOptions(config, request, extras, controller, { resume, jailed }, log),
    })) {
      observe(state, message);
      // Neither this write nor a heartbeat may fail the run (a database restart is not the agent's failure).
      const sessionId = state.sessionId;
      if (sessionId && sessionId !== savedSession) {
        const save = () => saveSession(config.db, request.agentId, proxyRun.owner.runId, sessionId);
        if (await writeIfYouCan(log, 'save the session id', save)) savedSession = sessionId;
      }
    }
  } catch (error) {
    thrown = error;
  } finally {
    clearTimeout(timer);
    cancelled.removeEventListener('abort', onCancel);
    await beats.stop();
    await jailed?.close();
  }
  if (thrown instanceof JailUnavailableError) {
    log.error(thrown.message);
    return { state, cancelled: false, error: classifyError('sandbox', thrown.message) };
  }
  return judge(state, controller.signal, thrown);
}

/** The run's jail (jail/jail.ts), in the workspace's own home; refuses when no jail can start. */
function openJail(config: RunnerConfig, request: AgentRunRequest, proxyRun: ProxyRun, log: Logger) {
  return config.jail.openEngine({
    role: request.role,
    cwd: request.cwd,
    home: ensureAgentHome(workspaceHome(agentHomeOf(config), request.cwd)),
    model: proxyRun,
    onStderr: (line) => log.debug({ line }, 'jail stderr'),
  });
}

/** What went wrong, if anything: our own aborts first, then the engine's verdict. */
function judge(state: EngineRunState, signal: AbortSignal, thrown: unknown): Attempt {
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    if (reason instanceof BudgetReachedError)
      return { state, cancelled: false, error: classifyError('budget', reason.message) };
    if (reason instanceof TimeoutError)
      return { state, cancelled: false, error: classifyError('timeout', reason.message) };
    if (reason instanceof InvalidOutputError)
      return {
        state,
        cancelled: false,
        error: classifyError('invalid_output', reason.message),
      };
    return {
      state,
      cancelled: true,
      error: classifyError('cancelled', `The run was cancelled: ${reasonText(reason)}`),
    };
  }
  if (state.resultSubtype === 'error_max_turns') {
    return {
      state,
      cancelled: false,
      error: classifyError(
        'max_turns',
        `The run reached its maximum of ${state.numTurns} turns without finishing.`,
      ),
    };
  }
  if (state.finished && !state.isError && state.resultSubtype === 'success')
    return { state, cancelled: false };
  const kind = kindOfEngineError(state.apiError);
  const message =
    [
      ...state.errorMessages,
      thrown instanceof Error ? thrown.message : thrown ? String(thrown) : '',
    ]
      .filter((text) => text.trim() !== '')
      .at(0) ?? describeKind(kind);
  return { state, cancelled: false, error: classifyError(kind, message) };
}

function engineOptions(
  config: RunnerConfig,
  request: AgentRunRequest,
  extras: RunExtras,
  controller: AbortController,
  { resume, jailed }: { resume: string | undefined; jailed: EngineJail },
  log: Logger,
): Options {
  const source = config.env ?? process.env;
  const home = workspaceHome(agentHomeOf(config), request.cwd);
  const policy = rolePolicy(request.role);
  const tools = [...(request.tools ?? []), ...(extras.tools ?? [])];
  const { env, refused } = buildAgentEnv({
    source,
    model: jailed.model,
    home,
    extra: request.allowedEnv,
    engine: { CLAUDE_CODE_MAX_RETRIES: String(config.engineRetries ?? 4) },
  });
  if (refused.length > 0)
    log.warn({ refused }, 'refused secret-looking variables for the agent environment');
  const guard = createToolGuard({
    role: request.role,
    workspace: { root: request.cwd, home, readable: [path.join(home, '.claude', 'projects')] },
    intercept: extras.intercept,
    onDecision: ({ toolName, decision }) => {
      if (!decision.allow) log.info({ toolName, reason: decision.reason }, 'tool call refused');
    },
  });
  const stderr: string[] = [];
  return {
    cwd: request.cwd,
    model: request.model,
    systemPrompt: request.systemPrompt,
    tools: policy.builtInTools,
    permissionMode: policy.permissionMode,
    allowDangerouslySkipPermissions: policy.permissionMode === 'bypassPermissions',
    // The repository's .claude/ settings could add hooks, permissions or environment: load none.
    settingSources: [],
    env,
    mcpServers: tools.length > 0 ? { factory: factoryToolServer(tools) } : {},
    hooks: { PreToolUse: [{ hooks: [guard] }] },
    // Anything that still asks for permission (it should not: the hook decides) is refused.
    // In bypass mode the engine never asks, so the hook alone decides there.
    canUseTool:
      policy.permissionMode === 'bypassPermissions'
        ? undefined
        : async (toolName) => ({
            behavior: 'deny',
            message: `Refused: ${toolName} is not permitted for the ${request.role}.`,
          }),
    maxTurns: request.maxTurns ?? config.maxTurns,
    resume,
    abortController: controller,
    pathToClaudeCodeExecutable: config.pathToClaudeCodeExecutable,
    spawnClaudeCodeProcess: jailed.spawn,
    debugFile: config.engineDebugFile,
    stderr: (line) => {
      stderr.push(line);
      if (stderr.length > 20) stderr.shift();
      log.debug({ line }, 'claude code stderr');
    },
  };
}

async function finish(
  config: RunnerConfig,
  request: AgentRunRequest,
  { runId, proxyRun }: { runId: number; proxyRun: ProxyRun },
  outcome: Attempt,
  log: Logger,
): Promise<AgentRunResult> {
  const { db } = config;
  const usage = mergeUsage([...proxyRun.served()]);
  const status = outcome.cancelled ? 'cancelled' : outcome.error ? 'failed' : 'succeeded';
  const { state, error } = outcome;
  const must = <T>(what: string, write: () => Promise<T>) =>
    retryInfrastructure(what, write, { log, ...config.infrastructureRetry });
  await must('record the end of the run', () =>
    finishRun(db, runId, {
      status,
      numTurns: state.numTurns,
      // The directory too: Claude Code keeps a session per directory, so a resume must run there.
      result: { text: state.text, sessionId: state.sessionId, cwd: request.cwd },
      error: error ? { kind: error.kind, message: error.message } : undefined,
    }),
  );
  // The proxy recorded each request as it served it; only what it could not write is left.
  const unrecorded = proxyRun.unrecorded();
  if (unrecorded.length > 0) {
    await must('record the usage the proxy could not', () =>
      recordUsage(db, { agentId: request.agentId, runId, ...request.context }, [...unrecorded]),
    );
  }
  // A budget cut is not the agent's failure: it is idle, and its task is parked by the caller.
  const next =
    status === 'succeeded'
      ? (request.afterSuccess?.() ?? 'IDLE')
      : status === 'cancelled' || error?.retryable || error?.kind === 'budget'
        ? 'IDLE'
        : 'FAILED';
  await must('move the agent', () =>
    moveAgent(
      db,
      request.agentId,
      next,
      next === 'FAILED' ? (error?.message ?? 'failed') : undefined,
    ),
  );
  if (error && status === 'failed') {
    await must('record why the run failed', () =>
      recordDecision(db, {
        agentId: request.agentId,
        epicId: request.context.epicId,
        taskId: request.context.taskId,
        decision: `${request.purpose} run failed (${error.kind})`,
        reasoning: error.message,
        context: { runId, retryable: error.retryable, sessionId: state.sessionId },
      }),
    );
  }
  log.info({ runId, status, error, turns: state.numTurns }, 'agent run finished');
  return {
    status,
    runId,
    sessionId: state.sessionId,
    text: state.text,
    numTurns: state.numTurns,
    usage: totalUsage(usage),
    error,
    budgetCut: error?.kind === 'budget' ? proxyRun.cut : undefined,
  };
}

function agentHomeOf(config: AgentRunnerConfig): string {
  return config.agentHome ?? path.join(tmpdir(), 'factory-agent-home');
}

export function totalUsage(usage: UsageByModel[]): AgentUsage {
  return usage.reduce<AgentUsage>(
    (sum, entry) => ({
      inputTokens: sum.inputTokens + entry.inputTokens,
      outputTokens: sum.outputTokens + entry.outputTokens,
      cacheReadTokens: sum.cacheReadTokens + entry.cacheReadTokens,
      cacheCreationTokens: sum.cacheCreationTokens + entry.cacheCreationTokens,
      costUsd: sum.costUsd + entry.costUsd,
    }),
    { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0, costUsd: 0 },
  );
}

/** The run's record of what the agent was told. */
function recordedPrompt(request: AgentRunRequest): string {
  return `# System prompt\n\n${request.systemPrompt}\n\n# Prompt\n\n${request.prompt}`;
}

function reasonText(reason: unknown): string {
  if (reason instanceof Error) return reason.message;
  return reason === undefined ? 'cancelled' : String(reason);
}

/** Waits, unless aborted first; returns whether the wait ran its course. */
function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
