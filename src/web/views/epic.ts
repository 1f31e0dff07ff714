import { html, type SafeHtml } from '../html.js';
import type { EpicDetail, EscalationRow, MergeQueueRow, TaskRow } from '../readModel/types.js';
import {
  plural,
  agentLink,
  empty,
  externalLink,
  money,
  recoveringBadge,
  section,
  stateBadge,
  table,
  time,
  tokens,
} from './format.js';
import { progress } from './overview.js';
import { timelineList } from './timeline.js';

/** One epic: its tasks, its PR queue, who works on it, and what was decided and said. */
export function epicMain(model: EpicDetail): SafeHtml {
  const { epic } = model;
  return html`<div class="heading">
      <h1>${epic.title}</h1>
      <p class="sub">
        ${externalLink(epic.repo.url, `${epic.repo.owner}/${epic.repo.name}`)}
        ${externalLink(epic.issueUrl, `#${epic.issueNumber}`, 'Open the issue on GitHub')} ·
        ${stateBadge(epic.state)}${epic.paused ? html` <span class="badge paused">paused</span>` : ''}${recoveringBadge(epic.recovering)}
      </p>
    </div>
    ${reasons(model)}
    <div class="stats">
      <div class="stat">${progress(epic)} tasks merged</div>
      <div class="stat"><span class="n">${money(model.usage.costUsd)}</span> spent</div>
      <div class="stat">
        <span class="n">${tokens(model.usage.inputTokens + model.usage.outputTokens)}</span> tokens
      </div>
      <div class="stat">base <span class="n">${epic.baseBranch ?? 'default'}</span></div>
      <div class="stat">
        plan
        ${
          epic.planApprovedAt
            ? html`approved ${epic.planApprovedBy ? `by ${epic.planApprovedBy}` : ''}
              ${time(epic.planApprovedAt)}`
            : epic.state === 'IN_PROGRESS' || epic.state === 'COMPLETED'
              ? html`<span class="muted">needed no approval</span>`
              : html`<span class="muted">not approved yet</span>`
        }
      </div>
    </div>
    ${section('Tasks', tasksTable(model.tasks), 'tasks')}
    <div class="columns">
      ${section('PR queue', mergeQueueList(model.mergeQueue), 'pr-queue')}
      ${section(
        'Agents',
        model.agents.length === 0
          ? empty('No agent has worked on this epic yet.')
          : table(
              ['Agent', 'State', 'Heartbeat'],
              model.agents.map((a) => [
                agentLink(a),
                stateBadge(a.state),
                time(a.lastHeartbeatAt, 'never'),
              ]),
            ),
        'agents',
      )}
    </div>
    ${section('Timeline', timelineList(model.timeline, 'No decisions or mail yet.'), 'timeline')}`;
}

function reasons(model: EpicDetail): SafeHtml {
  const { epic } = model;
  const open = model.escalations.filter((e) => e.resolvedAt === null);
  return html`${
    epic.blockedReason
      ? html`<p class="problem"><strong>Blocked:</strong> ${epic.blockedReason}</p>`
      : ''
  }${
    epic.paused
      ? html`<p class="notice">
          <strong>Paused:</strong> ${epic.pausedReason ?? 'no reason given'}
        </p>`
      : ''
  }${
    epic.recovering
      ? html`<p class="notice">
          <strong>Recovering</strong> (${epic.recovering.decision}): ${epic.recovering.reason}
          ${time(epic.recovering.since)}
        </p>`
      : ''
  }${open.map(escalation)}`;
}

function escalation(e: EscalationRow): SafeHtml {
  return html`<p class="problem">
    <strong>Escalated (${e.cause}):</strong> ${e.message} ${time(e.createdAt)}
  </p>`;
}

function tasksTable(tasks: TaskRow[]): SafeHtml {
  if (tasks.length === 0) return empty('No tasks yet: the supervisor is planning.');
  return table(
    ['Task', 'State', 'Agent', 'PR', 'Attempts', 'Cost'],
    tasks.map((task) => [
      html`${externalLink(task.issueUrl, `#${task.issueNumber}`, 'Open the task on GitHub')}
        <span class="title">${task.title}</span>
        ${
          task.dependsOn.length > 0
            ? html`<span class="sub">after ${task.dependsOn.map((n) => `#${n}`).join(', ')}</span>`
            : ''
        }
        ${task.blockedReason ? html`<span class="reason">${task.blockedReason}</span>` : ''}
        ${task.failureReason ? html`<span class="reason">${task.failureReason}</span>` : ''}
        ${task.recovering ? html`<span class="reason">${task.recovering.reason}</span>` : ''}`,
      html`${stateBadge(task.state)}${recoveringBadge(task.recovering)}`,
      agentLink(task.agent),
      task.prUrl && task.prNumber !== null
        ? externalLink(task.prUrl, `PR #${task.prNumber}`, task.branch ?? undefined)
        : html`<span class="muted">—</span>`,
      html`${task.attempts}`,
      html`${money(task.costUsd)}`,
    ]),
    'tasks',
  );
}

function mergeQueueList(entries: MergeQueueRow[]): SafeHtml {
  if (entries.length === 0) return empty('No pull request is waiting to merge.');
  return html`<ol class="queue">
    ${entries.map(
      (entry) =>
        html`<li class="queue-entry state-${entry.state}">
          ${externalLink(entry.prUrl, `PR #${entry.prNumber}`)}
          <span class="title">${entry.task.title}</span>
          <span class="badge queue-${entry.state}">${entry.state}</span>
          ${entry.approvedSha ? html`<span class="badge approved">approved</span>` : ''}
          ${entry.reworkRounds > 0 ? html`<span class="sub">${plural(entry.reworkRounds, 'rework round')}</span>` : ''}
          ${entry.mergedAt ? html`<span class="sub">merged ${time(entry.mergedAt)}</span>` : ''}
        </li>`,
    )}
  </ol>`;
}
