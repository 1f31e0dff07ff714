import { html, type SafeHtml } from '../html.js';
import type { AgentDetail, RunRow } from '../readModel/types.js';
import { agentName, empty, money, section, stateBadge, table, time, tokens } from './format.js';
import { workingOn } from './overview.js';
import { timelineList } from './timeline.js';

/** One agent: what it works on now, its recent runs and what they cost. */
export function agentMain(model: AgentDetail): SafeHtml {
  const { agent, usage } = model;
  return html`<div class="heading">
      <h1>${agentName(agent)}</h1>
      <p class="sub">
        ${stateBadge(agent.state)} · heartbeat ${time(agent.lastHeartbeatAt, 'never')}
      </p>
    </div>
    ${agent.failureReason ? html`<p class="problem"><strong>Failed:</strong> ${agent.failureReason}</p>` : ''}
    ${section(
      'Current work',
      html`<p>${workingOn(agent)}</p>
        ${agent.currentJobId ? html`<p class="sub">job ${agent.currentJobId}</p>` : ''}`,
      'work',
    )}
    <div class="stats">
      <div class="stat"><span class="n">${money(usage.total.costUsd)}</span> spent</div>
      <div class="stat"><span class="n">${tokens(usage.total.inputTokens)}</span> input tokens</div>
      <div class="stat">
        <span class="n">${tokens(usage.total.outputTokens)}</span> output tokens
      </div>
      <div class="stat">
        <span class="n">${tokens(usage.total.cacheReadTokens)}</span> cache reads
      </div>
    </div>
    ${section('Recent runs', runsTable(model.runs), 'runs')}
    ${section(
      'Usage by model',
      usage.byModel.length === 0
        ? empty('No model calls recorded.')
        : table(
            ['Model', 'Calls', 'Input', 'Output', 'Cost'],
            usage.byModel.map((m) => [
              html`${m.model}`,
              html`${m.calls}`,
              html`${tokens(m.inputTokens)}`,
              html`${tokens(m.outputTokens)}`,
              html`${money(m.costUsd)}`,
            ]),
            'numbers',
          ),
      'usage',
    )}
    ${section('Decisions and mail', timelineList(model.timeline), 'timeline')}`;
}

function runsTable(runs: RunRow[]): SafeHtml {
  if (runs.length === 0) return empty('This agent has not run yet.');
  return table(
    ['Run', 'Status', 'Model', 'Turns', 'Started', 'Finished', 'Cost'],
    runs.map((run) => [
      html`<span class="title">${run.purpose}</span>
        ${run.error ? html`<span class="reason">${run.error}</span>` : ''}`,
      stateBadge(run.status),
      html`${run.model}`,
      html`${run.numTurns ?? '—'}`,
      time(run.startedAt),
      time(run.finishedAt, run.status === 'running' ? 'running' : '—'),
      html`${money(run.costUsd)}`,
    ]),
    'runs',
  );
}
