import { html, type SafeHtml } from '../html.js';
import type { RecoveringView } from '../readModel/types.js';

/**
 * Small building blocks shared by the views. All deterministic (no clock):
 * a view's HTML changes only when its data does, which is what live updates
 * compare. The browser turns absolute times into "3 min ago".
 */

export function time(isoString: string | null, empty = '—'): SafeHtml {
  if (!isoString) return html`<span class="muted">${empty}</span>`;
  const shown = `${isoString.slice(0, 10)} ${isoString.slice(11, 16)} UTC`;
  return html`<time datetime="${isoString}">${shown}</time>`;
}

export function money(usd: number): string {
  if (usd === 0) return '$0.00';
  if (usd < 0.01) return '<$0.01';
  return `$${usd.toFixed(2)}`;
}

export function tokens(count: number): string {
  if (count < 1_000) return String(count);
  if (count < 1_000_000) return `${(count / 1_000).toFixed(1)}k`;
  return `${(count / 1_000_000).toFixed(2)}M`;
}

/** `IN_PROGRESS` → `in progress`; the class name keeps the raw state for colour. */
export function stateBadge(state: string): SafeHtml {
  const label = state.toLowerCase().replace(/_/g, ' ');
  return html`<span class="badge state-${state.toLowerCase()}">${label}</span>`;
}

export function externalLink(url: string, text: string, title?: string): SafeHtml {
  const hint = title ? html` title="${title}"` : '';
  return html`<a class="gh" href="${url}" rel="noopener noreferrer" ${hint}>${text}</a>`;
}

export function epicPath(id: number): string {
  return `/factory/epics/${id}`;
}

export function agentPath(id: number): string {
  return `/factory/agents/${id}`;
}

export function agentName(agent: { kind: string; id: number }): string {
  return `${agent.kind} #${agent.id}`;
}

/** An agent's name linking to its page; no agent means the app itself decided or wrote. */
export function agentLink(agent: { kind: string; id: number } | null): SafeHtml {
  if (!agent) return html`<span class="who app">Factory</span>`;
  return html`<a href="${agentPath(agent.id)}">${agentName(agent)}</a>`;
}

export function section(title: string, body: SafeHtml, id?: string): SafeHtml {
  return html`<section class="card" id="${id ?? ''}">
    <h2>${title}</h2>
    ${body}
  </section>`;
}

export function empty(text: string): SafeHtml {
  return html`<p class="empty">${text}</p>`;
}

/** A table that collapses into labelled rows on a phone (labels from `data-label`). */
export function table(headers: string[], rows: SafeHtml[][], className = ''): SafeHtml {
  return html`<div class="table-wrap">
    <table class="rows ${className}">
      <thead>
        <tr>
          ${headers.map((h) => html`<th scope="col">${h}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (cells) =>
            html`<tr>
              ${cells.map((cell, i) => html`<td data-label="${headers[i] ?? ''}">${cell}</td>`)}
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

/** `1 rework round`, `2 rework rounds`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** The "recovering" badge of work a crash interrupted; its title says what was taken over and why. */
export function recoveringBadge(recovering: RecoveringView | null): SafeHtml | string {
  if (!recovering) return '';
  return html` <span class="badge recovering" title="${recovering.decision}: ${recovering.reason}"
    >recovering</span
  >`;
}
