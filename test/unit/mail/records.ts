import type { Epic, Task } from '../../../src/db/schema.js';

/** Epic and Task records for pure tests, with overrides. */
export function anEpic(overrides: Partial<Epic> = {}): Epic {
  const now = new Date('2026-01-01T00:00:00Z');
  return {
    id: 1,
    installationId: 7,
    repoId: 70,
    repoOwner: 'acme',
    repoName: 'widgets',
    issueNumber: 10,
    issueId: 1010,
    title: 'Epic',
    body: '',
    state: 'PLANNING',
    baseBranch: 'main',
    plan: null,
    planApprovedAt: null,
    planApprovedBy: null,
    progressCommentId: null,
    pausedAt: null,
    pausedReason: null,
    blockedReason: null,
    createdAt: now,
    updatedAt: now,
    completedAt: null,
    ...overrides,
  };
}

export function aTask(overrides: Partial<Task> = {}): Task {
  const now = new Date('2026-01-01T00:00:00Z');
  return {
    id: 2,
    epicId: 1,
    issueNumber: 11,
    issueId: 1011,
    title: 'Task',
    description: '',
    acceptanceCriteria: [],
    planKey: null,
    dependsOn: [],
    position: 0,
    state: 'IN_PROGRESS',
    assignedAgentId: null,
    branch: null,
    prNumber: null,
    prUrl: null,
    headSha: null,
    attempts: 1,
    worktreePath: null,
    blockedReason: null,
    failureReason: null,
    createdAt: now,
    updatedAt: now,
    completedAt: null,
    ...overrides,
  };
}
