import { html, type SafeHtml } from '../html.js';
import type { QueueHealth } from '../queueHealth.js';
import type { AgentSummary, EpicSummary, Overview } from '../readModel/types.js';
import {
  agentLink,
  empty,
  epicPath,
  externalLink,
  money,
  recoveringBadge,
  section,
  stateBadge,
  table,
  time,
  tokens,
} from './format.js';
import { timelineList } from './timeline.js';

/** The overview's main content: epics, agents, queue health, recent activity. */
export function overviewMain(model: Overview): SafeHtml {
  const active = model.epics.filter((e) =>
    ['PLANNING', 'IN_PROGRESS', 'BLOCKED'].includes(e.state),
  );
  const { counts } = model.agents;
  return html`<h1 class="visually-hidden">Overview</h1>
    <div class="stats">
      <div class="stat"><span class="n">${active.length}</span> active epics</div>
      <div class="stat"><span class="n">${counts.BUSY}</span> agents busy</div>
      <div class="stat"><span class="n">${counts.WAITING}</span> waiting</div>
      <div class="stat${counts.FAILED > 0 ? ' bad' : ''}">
        <span class="n">${counts.FAILED}</span> failed
      </div>
      <div class="stat">
        <span class="n">${money(model.usage.costUsd)}</span>
        ${tokens(model.usage.inputTokens + model.usage.outputTokens)} tokens
      </div>
    </div>
    ${section('Epics', epicsTable(model.epics), 'epics')}
    <div class="columns">
      ${section('Agents', agentsBlock(model.agents.working, counts), 'agents')}
      ${section('Queues', queuesBlock(model.queues), 'queues')}
    </div>
    ${section('Recent decisions and mail', timelineList(model.recent), 'recent')}`;
}

export function progress(epic: Pick<EpicSummary, 'tasks'>): SafeHtml {
  const { total, completed } = epic.tasks;
  if (total === 0) return html`<span class="muted">no tasks yet</span>`;
  return html`<span class="progress"
    ><progress max="${total}" value="${completed}"></progress> ${completed}/${total}</span
  >`;
}

function epicsTable(epics: EpicSummary[]): SafeHtml {
  if (epics.length === 0) {
    return empty('No epics yet. Label an issue factory:epic to start one.');
  }
  return table(
    ['Epic', 'State', 'Progress', 'Cost', 'Updated'],
    epics.map((epic) => [
      html`<a class="title" href="${epicPath(epic.id)}">${epic.title}</a>
        <span class="sub"
          >${epic.repo.owner}/${epic.repo.name}
          ${externalLink(epic.issueUrl, `#${epic.issueNumber}`, 'Open the issue on GitHub')}</span
        >`,
      html`${stateBadge(epic.state)}${epic.paused ? html` <span class="badge paused">paused</span>` : ''}${
        epic.openEscalations > 0
          ? html` <span class="badge escalated">${epic.openEscalations} escalated</span>`
          : ''
      }${recoveringBadge(epic.recovering)}${
        epic.recovering ? html`<span class="reason">${epic.recovering.reason}</span>` : ''
      }`,
      progress(epic),
      html`<span class="nowrap">${money(epic.costUsd)}</span>`,
      time(epic.updatedAt),
    ]),
    'epics',
  );
}

function agentsBlock(working: AgentSummary[], counts: Overview['agents']['counts']): SafeHtml {
  const summary = html`<p class="counts">
    ${(['BUSY', 'WAITING', 'IDLE', 'FAILED'] as const).map(
      (state) =>
        html`<span class="badge state-${state.toLowerCase()}"
          >${counts[state]} ${state.toLowerCase()}</span
        > `,
    )}
  </p>`;
  if (working.length === 0) return html`${summary}${empty('No agent is working right now.')}`;
  return html`${summary}${table(
    ['Agent', 'State', 'Working on', 'Heartbeat'],
    working.map((agent) => [
      html`<span class="nowrap">${agentLink(agent)}</span>`,
      html`${stateBadge(agent.state)}${
        agent.failureReason ? html`<span class="reason">${agent.failureReason}</span>` : ''
      }`,
      workingOn(agent),
      time(agent.lastHeartbeatAt, 'never'),
    ]),
  )}`;
}

export function workingOn(agent: Pick<AgentSummary, 'epic' | 'task'>): SafeHtml {
  if (!agent.epic) return html`<span class="muted">—</span>`;
  const epic = html`<a href="${epicPath(agent.epic.id)}">${agent.epic.title}</a>`;
  if (!agent.task) return epic;
  return html`${externalLink(agent.task.issueUrl, `#${agent.task.issueNumber}`)} ${agent.task.title}
    <span class="sub">in ${epic}</span>`;
}

function queuesBlock(health: QueueHealth): SafeHtml {
  if (!health.available) {
    return html`<p class="problem">Queue health unavailable: ${health.reason}</p>`;
  }
  return table(
    ['Queue', 'Waiting', 'Active', 'Delayed', 'Failed'],
    health.queues.map((q) => [
      html`${q.name}`,
      html`${q.waiting}`,
      html`${q.active}`,
      html`${q.delayed}`,
      html`<span class="${q.failed > 0 ? 'bad' : ''}">${q.failed}</span>`,
    ]),
    'numbers',
  );
}
