import type { AgentKind, AgentState, EpicState, TaskState } from '../../db/schema.js';
import type { QueueHealth } from '../queueHealth.js';

/**
 * What the status page shows, as plain JSON: the HTML views render these and
 * the JSON API returns them unchanged. Times are ISO strings; free text from
 * GitHub or a model is already redacted (never escaped — that is the view's job).
 */

export interface Usage {
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheCreationTokens: number;
}

export interface RepoRef {
  owner: string;
  name: string;
  url: string;
}

export interface EpicRef {
  id: number;
  issueNumber: number;
  title: string;
  issueUrl: string;
}

export interface TaskRef {
  id: number;
  issueNumber: number;
  title: string;
  issueUrl: string;
}

export interface AgentRef {
  id: number;
  kind: AgentKind;
  state: AgentState;
}

/** Work that a crash interrupted and the app is taking over: its latest decision says what and why. */
export interface RecoveringView {
  decision: string;
  reason: string;
  since: string;
}

export interface EpicSummary {
  id: number;
  repo: RepoRef;
  issueNumber: number;
  issueUrl: string;
  title: string;
  state: EpicState;
  paused: boolean;
  pausedReason: string | null;
  blockedReason: string | null;
  tasks: { total: number; completed: number; byState: Partial<Record<TaskState, number>> };
  costUsd: number;
  openEscalations: number;
  /** Set while the epic's latest decision is a takeover or repair after a crash. */
  recovering: RecoveringView | null;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
}

export interface AgentSummary extends AgentRef {
  epic: EpicRef | null;
  task: TaskRef | null;
  lastHeartbeatAt: string | null;
  failureReason: string | null;
  updatedAt: string;
}

export type TimelineItem =
  | {
      kind: 'decision';
      id: number;
      at: string;
      agent: AgentRef | null;
      task: TaskRef | null;
      decision: string;
      reasoning: string;
    }
  | {
      kind: 'mail';
      id: number;
      at: string;
      from: { agent: AgentRef | null; human: string | null };
      to: AgentRef | null;
      isForHuman: boolean;
      task: TaskRef | null;
      subject: string;
      body: string;
      commentUrl: string | null;
      read: boolean;
    };

export interface Overview {
  epics: EpicSummary[];
  agents: { counts: Record<AgentState, number>; working: AgentSummary[] };
  queues: QueueHealth;
  usage: Usage;
  recent: TimelineItem[];
}

export interface TaskRow extends TaskRef {
  state: TaskState;
  agent: AgentRef | null;
  branch: string | null;
  prNumber: number | null;
  prUrl: string | null;
  attempts: number;
  dependsOn: number[];
  costUsd: number;
  blockedReason: string | null;
  failureReason: string | null;
  /** Set while the task's latest decision is a takeover or repair after a crash. */
  recovering: RecoveringView | null;
  updatedAt: string;
}

export interface MergeQueueRow {
  position: number;
  task: TaskRef;
  prNumber: number;
  prUrl: string;
  state: 'queued' | 'merged' | 'removed';
  approvedSha: string | null;
  reworkRounds: number;
  enqueuedAt: string;
  mergedAt: string | null;
}

export interface EscalationRow {
  id: number;
  cause: string;
  message: string;
  createdAt: string;
  resolvedAt: string | null;
}

export interface EpicDetail {
  epic: EpicSummary & {
    baseBranch: string | null;
    planApprovedAt: string | null;
    planApprovedBy: string | null;
  };
  tasks: TaskRow[];
  mergeQueue: MergeQueueRow[];
  escalations: EscalationRow[];
  agents: AgentSummary[];
  usage: Usage;
  timeline: TimelineItem[];
}

export interface RunRow {
  id: number;
  purpose: string;
  model: string;
  status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  numTurns: number | null;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
  costUsd: number;
}

export interface AgentDetail {
  agent: AgentSummary & { createdAt: string; currentJobId: string | null };
  runs: RunRow[];
  usage: { total: Usage; byModel: (Usage & { model: string; calls: number })[] };
  timeline: TimelineItem[];
}
