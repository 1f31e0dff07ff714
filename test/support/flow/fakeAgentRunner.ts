import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type {
  AgentRunner,
  AgentRunRequest,
  AgentRunResult,
  StructuredRunResult,
} from '../../../src/agents/runtime/types.js';

/**
 * An AgentRunner for the flow's tests that acts like an agent without a
 * model: a worker writes `task-<taskId>.txt` in its worktree (one more line
 * per round), a supervisor submits the plan it was given. It records every
 * request and the most runs seen at once. `failNext` makes the next run throw,
 * as a crash of the engine would.
 */
export class FakeAgentRunner implements AgentRunner {
  readonly requests: AgentRunRequest[] = [];
  running = 0;
  maxRunning = 0;
  failNext = false;
  /** What the runner says about a session's transcript (absent: it cannot tell). */
  sessionTranscriptExists?: (sessionId: string, cwd: string) => boolean;

  constructor(
    private readonly plan: unknown,
    private readonly workDelayMs = 50,
  ) {}

  async run(request: AgentRunRequest): Promise<AgentRunResult> {
    this.requests.push(request);
    this.running += 1;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      await new Promise((resolve) => setTimeout(resolve, this.workDelayMs));
      if (this.failNext) {
        this.failNext = false;
        throw new Error('engine crashed');
      }
      const file = path.join(request.cwd, `task-${request.context.taskId ?? 'x'}.txt`);
      const rounds = this.requests.filter(
        (r) => r.context.taskId === request.context.taskId,
      ).length;
      writeFileSync(file, `work of round ${rounds}\n`);
      return this.result(
        `Implemented task ${request.context.taskId} (round ${rounds}).`,
        `session-${request.context.taskId}`,
      );
    } finally {
      this.running -= 1;
    }
  }

  async runStructured<T>(
    request: AgentRunRequest,
    submit: { toolName: string; schema: { parse(value: unknown): T } },
  ): Promise<StructuredRunResult<T>> {
    this.requests.push(request);
    return { ...this.result('Planned.', 'session-plan'), output: submit.schema.parse(this.plan) };
  }

  workerRuns(taskId?: number): AgentRunRequest[] {
    return this.requests.filter(
      (r) => r.role === 'worker' && (taskId === undefined || r.context.taskId === taskId),
    );
  }

  private result(text: string, sessionId: string): AgentRunResult {
    return {
      status: 'succeeded',
      runId: this.requests.length,
      sessionId,
      text,
      numTurns: 1,
      usage: {
        inputTokens: 0,
        outputTokens: 0,
        cacheReadTokens: 0,
        cacheCreationTokens: 0,
        costUsd: 0,
      },
    };
  }
}
