import { describe, expect, it } from 'vitest';
import {
  renderPlanComment,
  renderProgress,
  renderTaskIssueBody,
  taskIssueMarker,
} from '../../../../src/agents/supervisor/render.js';
import {
  fence,
  renderFailureComment,
  renderPullRequestBody,
} from '../../../../src/agents/worker/render.js';

const plan = {
  summary: 'Two steps.',
  tasks: [
    {
      key: 'parser',
      title: 'Add parser',
      description: 'Parse it',
      acceptanceCriteria: ['parses'],
      dependsOn: [],
    },
    {
      key: 'cli',
      title: 'Add CLI',
      description: 'Wire it',
      acceptanceCriteria: ['runs'],
      dependsOn: ['parser'],
    },
  ],
};

describe('the supervisor’s texts', () => {
  it('progress: says a PR in review waits for a person when human review is required', () => {
    const view = {
      epicState: 'IN_PROGRESS' as const,
      costUsd: 0,
      pausedReason: null,
      blockedReason: null,
      awaitingApproval: false,
      tasks: [
        {
          issueNumber: 2,
          title: 'Add parser',
          state: 'REVIEW' as const,
          prNumber: 5,
          prUrl: null,
          costUsd: 0,
          dependsOnIssues: [],
          reason: null,
        },
      ],
    };
    const required = renderProgress({ ...view, humanReviewRequired: true });
    expect(required).toContain("each pull request waits for a person's approval");
    expect(required).toContain(
      "- [ ] #2 Add parser · in review · PR #5 · waits for a person's approval",
    );
    expect(renderProgress(view)).not.toContain("person's approval");
  });

  it('progress: a checklist with state, PR link and cost, and the epic’s state', () => {
    const body = renderProgress({
      epicState: 'IN_PROGRESS',
      costUsd: 1.234,
      pausedReason: null,
      blockedReason: null,
      awaitingApproval: false,
      tasks: [
        {
          issueNumber: 2,
          title: 'Add parser',
          state: 'COMPLETED',
          prNumber: 5,
          prUrl: 'https://x/pull/5',
          costUsd: 0.5,
          dependsOnIssues: [],
          reason: null,
        },
        {
          issueNumber: 3,
          title: 'Add CLI\n<!-- sneaky',
          state: 'PENDING',
          prNumber: null,
          prUrl: null,
          costUsd: 0,
          dependsOnIssues: [2],
          reason: null,
        },
        {
          issueNumber: 4,
          title: 'Docs',
          state: 'FAILED',
          prNumber: null,
          prUrl: null,
          costUsd: 0.25,
          dependsOnIssues: [],
          reason: 'tests failed',
        },
      ],
    });
    expect(body).toContain('**Epic:** in progress · **Cost:** $1.23');
    expect(body).toContain('1 of 3 tasks merged.');
    expect(body).toContain('- [x] #2 Add parser · merged · [PR #5](https://x/pull/5) · $0.50');
    expect(body).toContain('- [ ] #3 Add CLI &lt;!-- sneaky · waiting to start · after #2 · $0.00');
    expect(body).toContain('- [ ] #4 Docs · failed · tests failed · $0.25');
  });

  it('plan comment: tasks, criteria, dependencies and how to approve', () => {
    const waiting = renderPlanComment(plan, { awaitingApproval: true });
    expect(waiting).toContain('1. **Add parser** `parser`');
    expect(waiting).toContain('2. **Add CLI** `cli` _(after `parser`)_');
    expect(waiting).toContain('   - runs');
    expect(waiting).toContain('/factory approve');
    expect(renderPlanComment(plan, { awaitingApproval: false })).not.toContain('/factory approve');
  });

  it('task issue: description, criteria, the epic and a marker to find it again', () => {
    const body = renderTaskIssueBody(7, plan.tasks[1]!, [8]);
    expect(body).toContain('- [ ] runs');
    expect(body).toContain('Part of #7.');
    expect(body).toContain('Starts after #8 is merged.');
    expect(body.endsWith(taskIssueMarker(7, 'cli'))).toBe(true);
  });
});

describe('the worker’s texts', () => {
  it('PR body: summary, Closes #task, part of the epic, checks and cost', () => {
    const body = renderPullRequestBody({
      taskIssue: 3,
      epicIssue: 1,
      summary: 'Added the parser.',
      costUsd: 0.42,
      attempt: 2,
      checks: [
        {
          command: 'npm ci',
          phase: 'setup',
          ok: true,
          exitCode: 0,
          timedOut: false,
          durationMs: 1500,
          output: '',
        },
        {
          command: 'npm test',
          phase: 'test',
          ok: true,
          exitCode: 0,
          timedOut: false,
          durationMs: 2500,
          output: '',
        },
      ],
    });
    expect(body).toContain('Closes #3');
    expect(body).toContain('Part of #1');
    expect(body).toContain('- ✅ `npm test` (test) — passed in 2.5 s');
    expect(body).toContain('**Cost:** $0.42 · attempt 2');
  });

  it('failure comment: the reason and the last output in a fence it cannot break', () => {
    const body = renderFailureComment({
      reason: 'tests failed',
      attempts: 2,
      maxAttempts: 2,
      lastOutput: 'boom ``` escape',
    });
    expect(body).toContain('**Reason:** tests failed');
    expect(body).toContain('Tried 2 times (limit 2)');
    expect(body).toContain('````text\nboom ``` escape\n````');
    expect(fence('plain')).toBe('```text\nplain\n```');
  });
});
