import { describe, expect, it } from 'vitest';
import { gitHubLinks, safeHttpUrl } from '../../../src/web/links.js';
import type {
  AgentDetail,
  EpicDetail,
  EpicSummary,
  Overview,
} from '../../../src/web/readModel/types.js';
import { agentMain } from '../../../src/web/views/agent.js';
import { epicMain } from '../../../src/web/views/epic.js';
import { money, time, tokens } from '../../../src/web/views/format.js';
import { layout } from '../../../src/web/views/layout.js';
import { overviewMain } from '../../../src/web/views/overview.js';
import { timelineList } from '../../../src/web/views/timeline.js';

const evil = `<script>alert(1)</script><img src=x onerror="alert(2)">`;
const links = gitHubLinks('http://127.0.0.1:4010/');
const at = '2026-11-26T09:30:00.000Z';
const noUsage = {
  costUsd: 0,
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheCreationTokens: 0,
};

function epicSummary(over: Partial<EpicSummary> = {}): EpicSummary {
  return {
    id: 7,
    repo: { owner: 'acme', name: 'widgets', url: links.repo('acme', 'widgets') },
    issueNumber: 10,
    issueUrl: links.issue('acme', 'widgets', 10),
    title: 'Add dark mode',
    state: 'IN_PROGRESS',
    paused: false,
    pausedReason: null,
    blockedReason: null,
    tasks: { total: 4, completed: 1, byState: { COMPLETED: 1, PENDING: 3 } },
    costUsd: 1.234,
    openEscalations: 0,
    recovering: null,
    createdAt: at,
    updatedAt: at,
    completedAt: null,
    ...over,
  };
}

function overview(over: Partial<Overview> = {}): Overview {
  return {
    epics: [
      epicSummary(),
      epicSummary({
        id: 8,
        title: evil,
        state: 'PLANNING',
        tasks: { total: 0, completed: 0, byState: {} },
      }),
    ],
    agents: {
      counts: { IDLE: 1, BUSY: 2, WAITING: 0, FAILED: 1 },
      working: [
        {
          id: 3,
          kind: 'worker',
          state: 'FAILED',
          epic: {
            id: 8,
            issueNumber: 11,
            title: evil,
            issueUrl: links.issue('acme', 'widgets', 11),
          },
          task: null,
          lastHeartbeatAt: null,
          failureReason: evil,
          updatedAt: at,
        },
      ],
    },
    queues: {
      available: true,
      queues: [{ name: 'task', waiting: 3, active: 1, delayed: 0, failed: 2 }],
    },
    usage: { ...noUsage, costUsd: 2.5, inputTokens: 1500, outputTokens: 500 },
    recent: [
      {
        kind: 'decision',
        id: 1,
        at,
        agent: { id: 1, kind: 'supervisor', state: 'BUSY' },
        task: null,
        decision: evil,
        reasoning: evil,
      },
      {
        kind: 'mail',
        id: 2,
        at,
        from: { agent: null, human: evil },
        to: { id: 3, kind: 'worker', state: 'FAILED' },
        isForHuman: false,
        task: null,
        subject: evil,
        body: evil,
        commentUrl: null,
        read: false,
      },
    ],
    ...over,
  };
}

/** No element or attribute an attacker wrote survives: only escaped text. */
function expectInert(markup: string) {
  expect(markup).not.toMatch(/<script>alert/);
  expect(markup).not.toMatch(/<img src=x/);
  expect(markup).not.toMatch(/onerror="alert/);
  expect(markup).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
}

describe('overview view', () => {
  const markup = overviewMain(overview()).value;

  it('escapes titles, reasons, mail and decisions', () => {
    expectInert(markup);
  });

  it('links each epic to its page and its GitHub issue', () => {
    expect(markup).toContain('href="/factory/epics/7"');
    expect(markup).toContain('href="http://127.0.0.1:4010/acme/widgets/issues/10"');
    expect(markup).toContain('<progress max="4" value="1"></progress> 1/4');
    expect(markup).toContain('$1.23');
  });

  it('shows agents by state and queue counts, failures marked', () => {
    expect(markup).toContain('2 busy');
    expect(markup).toContain('href="/factory/agents/3"');
    expect(markup).toMatch(/data-label="Failed"><span class="bad">2<\/span>/);
  });

  it('says why queue health is missing', () => {
    const down = overviewMain(
      overview({ queues: { available: false, reason: 'Redis did not answer within 1500 ms' } }),
    ).value;
    expect(down).toContain('Queue health unavailable: Redis did not answer within 1500 ms');
  });

  it('invites to start an epic when there is none', () => {
    const none = overviewMain(overview({ epics: [] })).value;
    expect(none).toContain('Label an issue factory:epic');
  });

  it('renders the same HTML for the same data (live updates compare it)', () => {
    expect(overviewMain(overview()).value).toBe(markup);
  });
});

function epicDetail(): EpicDetail {
  return {
    epic: {
      ...epicSummary({
        title: evil,
        blockedReason: evil,
        paused: true,
        pausedReason: 'budget reached',
      }),
      baseBranch: 'main',
      planApprovedAt: at,
      planApprovedBy: 'maintainer',
    },
    tasks: [
      {
        id: 1,
        issueNumber: 12,
        issueUrl: links.issue('acme', 'widgets', 12),
        title: evil,
        state: 'REVIEW',
        agent: { id: 3, kind: 'worker', state: 'WAITING' },
        branch: 'factory/10-12-x',
        prNumber: 21,
        prUrl: links.pull('acme', 'widgets', 21),
        attempts: 2,
        dependsOn: [11],
        costUsd: 0.004,
        blockedReason: null,
        failureReason: evil,
        recovering: null,
        updatedAt: at,
      },
    ],
    mergeQueue: [
      {
        position: 0,
        task: { id: 1, issueNumber: 12, title: evil, issueUrl: links.issue('acme', 'widgets', 12) },
        prNumber: 21,
        prUrl: links.pull('acme', 'widgets', 21),
        state: 'queued',
        approvedSha: 'abc',
        reworkRounds: 1,
        enqueuedAt: at,
        mergedAt: null,
      },
    ],
    escalations: [{ id: 1, cause: 'crash-loop', message: evil, createdAt: at, resolvedAt: null }],
    agents: [],
    usage: noUsage,
    timeline: [],
  };
}

describe('epic view', () => {
  const markup = epicMain(epicDetail()).value;

  it('escapes everything from GitHub and the models', () => {
    expectInert(markup);
  });

  it('links tasks and PRs to GitHub and shows the queue in order', () => {
    expect(markup).toContain('href="http://127.0.0.1:4010/acme/widgets/issues/12"');
    expect(markup).toContain('href="http://127.0.0.1:4010/acme/widgets/pull/21"');
    expect(markup).toContain('after #11');
    expect(markup).toContain('<span class="badge approved">approved</span>');
    expect(markup).toContain('1 rework round<');
    expect(markup).not.toContain('1 rework rounds');
  });

  it('shows why the epic is blocked, paused and escalated', () => {
    expect(markup).toContain('<strong>Blocked:</strong>');
    expect(markup).toContain('<strong>Paused:</strong> budget reached');
    expect(markup).toContain('<strong>Escalated (crash-loop):</strong>');
  });
});

describe('agent view', () => {
  const detail: AgentDetail = {
    agent: {
      id: 3,
      kind: 'worker',
      state: 'BUSY',
      epic: null,
      task: null,
      lastHeartbeatAt: at,
      failureReason: null,
      updatedAt: at,
      createdAt: at,
      currentJobId: 'implement-task-1-1',
    },
    runs: [
      {
        id: 1,
        purpose: evil,
        model: 'claude-sonnet-4-5',
        status: 'failed',
        numTurns: 4,
        error: evil,
        startedAt: at,
        finishedAt: null,
        costUsd: 0.5,
      },
    ],
    usage: {
      total: { ...noUsage, costUsd: 0.5, inputTokens: 12_345 },
      byModel: [{ ...noUsage, model: 'claude-sonnet-4-5', calls: 2, costUsd: 0.5 }],
    },
    timeline: [],
  };

  it('shows runs and usage, escaped', () => {
    const markup = agentMain(detail).value;
    expectInert(markup);
    expect(markup).toContain('worker #3');
    expect(markup).toContain('12.3k');
    expect(markup).toContain('implement-task-1-1');
  });
});

describe('layout', () => {
  it('loads only our own assets and names the live view', () => {
    const page = layout({
      title: evil,
      live: { view: 'epic:7', version: 'abc' },
      main: overviewMain(overview()),
    }).value;
    expect(page).toContain('<title>&lt;script&gt;');
    expect(page).toContain('data-live="epic:7"');
    expect(page).toContain('<script src="/factory/assets/status.js" defer></script>');
    expect(page.match(/<script/g)).toHaveLength(1);
  });
});

describe('who the timeline names', () => {
  const at = '2026-01-01T00:00:00.000Z';
  it('names the app itself, not a dash or "someone", for its own decisions and mail', () => {
    const markup = timelineList([
      { kind: 'decision', id: 1, at, agent: null, task: null, decision: 'pause', reasoning: '' },
      {
        kind: 'mail',
        id: 2,
        at,
        from: { agent: null, human: null },
        to: { id: 3, kind: 'worker', state: 'IDLE' },
        isForHuman: false,
        task: null,
        subject: 'notice',
        body: 'b',
        commentUrl: null,
        read: false,
      },
    ]).value;
    expect(markup.match(/<span class="who app">Factory<\/span>/g)).toHaveLength(2);
    expect(markup).not.toContain('someone');
    expect(markup).not.toContain('—');
  });
});

describe('formatting', () => {
  it('formats money, tokens and times without the clock', () => {
    expect(money(0)).toBe('$0.00');
    expect(money(0.004)).toBe('<$0.01');
    expect(money(12.345)).toBe('$12.35');
    expect(tokens(999)).toBe('999');
    expect(tokens(12_345)).toBe('12.3k');
    expect(tokens(2_500_000)).toBe('2.50M');
    expect(time(at).value).toBe(`<time datetime="${at}">2026-11-26 09:30 UTC</time>`);
    expect(time(null, 'never').value).toContain('never');
  });
});

describe('links', () => {
  it('builds GitHub links from the configured base and encodes names', () => {
    const gh = gitHubLinks('https://github.example.com/');
    expect(gh.issue('a b', 'c?d', 5)).toBe('https://github.example.com/a%20b/c%3Fd/issues/5');
    expect(gh.pull('acme', 'widgets', 21)).toBe('https://github.example.com/acme/widgets/pull/21');
    expect(() => gitHubLinks('javascript:alert(1)')).toThrow(/http/);
  });

  it('keeps only http(s) URLs from storage', () => {
    expect(safeHttpUrl('https://github.com/a/b/pull/1#issuecomment-2')).toBe(
      'https://github.com/a/b/pull/1#issuecomment-2',
    );
    expect(safeHttpUrl('javascript:alert(1)')).toBeNull();
    expect(safeHttpUrl('not a url')).toBeNull();
    expect(safeHttpUrl(null)).toBeNull();
  });
});
