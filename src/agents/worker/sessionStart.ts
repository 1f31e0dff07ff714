/**
 * Pure: how an attempt at a task starts its agent. When the previous attempt
 * was interrupted — its process died mid-run, so its run was never finished
 * and the orchestrator buried its agent — the new attempt resumes that SDK
 * session with a short "you were interrupted; continue", so the agent keeps
 * what it had read and reasoned. Resuming needs the session's transcript (the
 * engine reads it from the agents' home); without it, or with nothing
 * interrupted, the attempt starts a fresh session with the full task prompt.
 */

export interface InterruptedRun {
  /** The run's SDK session, named by the engine before the process died. */
  sessionId: string;
  runId: number;
  agentId: number;
}

export interface SessionStartInput {
  /** The task's last worker run, when it was cut off by a crash (see findInterruptedRun). */
  interrupted: InterruptedRun | null;
  /** Whether the engine can find that session's transcript; unknown counts as no. */
  transcriptExists: boolean;
}

export type SessionStart =
  { kind: 'resume'; sessionId: string; reason: string } | { kind: 'fresh'; reason: string };

export function decideSessionStart(input: SessionStartInput): SessionStart {
  const { interrupted } = input;
  if (!interrupted) return { kind: 'fresh', reason: 'no earlier run was interrupted' };
  if (!input.transcriptExists) {
    return {
      kind: 'fresh',
      reason: `run ${interrupted.runId} was interrupted but the transcript of its session ${interrupted.sessionId} is missing, so it cannot be resumed`,
    };
  }
  return {
    kind: 'resume',
    sessionId: interrupted.sessionId,
    reason: `run ${interrupted.runId} was interrupted; resuming its session ${interrupted.sessionId}`,
  };
}

/** The whole user turn of a resumed attempt: the session already holds the task. */
export function interruptedPrompt(attempt: number): string {
  return [
    `You were interrupted: the process running you stopped before you finished (this is attempt ${attempt}).`,
    'Your work so far is still in the worktree. Check where you got to, then continue the task where you left off and finish it.',
  ].join(' ');
}
