import type { z } from 'zod';
import type { AgentKind } from '../../db/schema.js';
import type { Jail } from './jail/jail.js';
import type { BudgetCut, Limits } from './modelProxy/budgetDecision.js';

/**
 * The contract every part of Factory uses to run an agent. The implementation
 * (runner.ts) drives the Claude Agent SDK; tests drive the real engine against
 * the scripted Messages-API server.
 */

export type AgentRole = AgentKind;

/** A Factory tool offered to the agent through the SDK's in-process MCP server (`mcp__factory__<name>`). */
export interface FactoryTool<Shape extends z.ZodRawShape = z.ZodRawShape> {
  name: string;
  description: string;
  input: Shape;
  handler(input: z.infer<z.ZodObject<Shape>>): Promise<string>;
}

export interface AgentRunRequest {
  role: AgentRole;
  /** The Agent row this run belongs to (state, heartbeats, usage are written against it). */
  agentId: number;
  /** What the run is for, recorded with it: 'plan', 'implement', 'review', 'resolve-conflict', 'answer'… */
  purpose: string;
  /** The working directory: a read-only checkout for the supervisor, the task's worktree for a worker. */
  cwd: string;
  /** The role's system prompt, assembled from prompts/<role>.md and the repository's instructions. */
  systemPrompt: string;
  /** The user turn: the task, the epic, the feedback or the person's message. */
  prompt: string;
  model: string;
  tools?: FactoryTool[];
  /** Resume this SDK session instead of starting a new one. */
  resumeSessionId?: string;
  maxTurns?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Extra environment variables the repository config allows the agent to see. */
  allowedEnv?: Record<string, string>;
  /**
   * The agent's state after a successful run; evaluated when the run ends, so a
   * tool that asked a person a question can make it WAITING. IDLE by default.
   */
  afterSuccess?: () => 'IDLE' | 'WAITING';
  /** Records the run against these (usage, decisions). */
  context: { installationId?: number; epicId?: number; taskId?: number };
  /**
   * The task's and epic's budgets, enforced by the model proxy on every
   * request of the run (the run's own cap comes from the runner's config).
   */
  budgets?: { task?: Limits; epic?: Limits };
}

export interface AgentUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheCreationTokens: number;
  costUsd: number;
}

export type AgentErrorKind =
  | 'rate_limit'
  | 'overloaded'
  | 'authentication'
  | 'invalid_request'
  | 'timeout'
  | 'max_turns'
  | 'cancelled'
  | 'invalid_output'
  /** The jail could not start (no bubblewrap, no user namespaces): no agent can run here. */
  | 'sandbox'
  /** The model proxy refused the run's next request: a run, task or epic budget is reached. */
  | 'budget'
  | 'engine';

export interface AgentRunResult {
  status: 'succeeded' | 'failed' | 'cancelled';
  runId: number;
  sessionId?: string;
  /** The agent's final text. */
  text: string;
  numTurns: number;
  usage: AgentUsage;
  error?: { kind: AgentErrorKind; message: string; retryable: boolean };
  /** The budget the model proxy cut the run at (error kind `budget`). */
  budgetCut?: BudgetCut;
}

export interface StructuredRunResult<T> extends AgentRunResult {
  /** Present when status is 'succeeded'. */
  output?: T;
}

export interface AgentRunner {
  run(request: AgentRunRequest): Promise<AgentRunResult>;
  /**
   * A run whose answer is a value: the agent submits it through a tool named
   * `submitTool`, validated with `schema`; one corrective turn on invalid
   * input, then a failure with the reason.
   */
  runStructured<T>(
    request: AgentRunRequest,
    submit: { toolName: string; description: string; schema: z.ZodType<T> },
  ): Promise<StructuredRunResult<T>>;
  /**
   * Whether a session run in `cwd` can be resumed: its transcript is where the
   * engine will look. A runner without it cannot tell, and callers start fresh.
   */
  sessionTranscriptExists?(sessionId: string, cwd: string): boolean;
  /** The jail its engines run in, which the repository's commands share (jail/jail.ts). */
  jail?: Jail;
}
