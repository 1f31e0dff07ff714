import { html, type SafeHtml } from '../html.js';
import type { TimelineItem } from '../readModel/types.js';
import { agentLink, empty, externalLink, time } from './format.js';

/** Decisions and mail in one list, newest first. */
export function timelineList(items: TimelineItem[], emptyText = 'Nothing yet.'): SafeHtml {
  if (items.length === 0) return empty(emptyText);
  return html`<ol class="timeline">
    ${items.map(timelineEntry)}
  </ol>`;
}

function taskNote(task: TimelineItem['task']): SafeHtml {
  return task
    ? html` · task ${externalLink(task.issueUrl, `#${task.issueNumber}`, task.title)}`
    : html``;
}

function timelineEntry(item: TimelineItem): SafeHtml {
  if (item.kind === 'decision') {
    return html`<li class="entry decision">
      <div class="entry-head">
        <span class="kind">decision</span> ${agentLink(item.agent)}${taskNote(item.task)}
        ${time(item.at)}
      </div>
      <p class="entry-title">${item.decision}</p>
      ${item.reasoning ? html`<p class="entry-body">${item.reasoning}</p>` : ''}
    </li>`;
  }
  const from = item.from.agent
    ? agentLink(item.from.agent)
    : item.from.human
      ? html`<span class="who">@${item.from.human}</span>`
      : // Mail no agent and no person sent is the app's own (a notice, a command's answer).
        html`<span class="who app">Factory</span>`;
  const to = item.isForHuman ? html`people` : agentLink(item.to);
  return html`<li class="entry mail${item.isForHuman ? ' for-human' : ''}">
    <div class="entry-head">
      <span class="kind">mail</span> ${from} → ${to}${taskNote(item.task)} ${time(item.at)}
      ${item.commentUrl ? externalLink(item.commentUrl, 'comment') : ''}
    </div>
    ${item.subject ? html`<p class="entry-title">${item.subject}</p>` : ''}
    <p class="entry-body">${item.body}</p>
  </li>`;
}
