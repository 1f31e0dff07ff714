import type { Epic } from '../db/schema.js';

/** The epic's one summary comment, written when its last PR is merged. Pure. */

export interface SummaryRow {
  issueNumber: number;
  title: string;
  prNumber: number | null;
  mergedSha: string | null;
  reworkRounds: number;
}

export function formatDuration(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  return [days ? `${days}d` : '', hours ? `${hours}h` : '', `${rest}m`].filter(Boolean).join(' ');
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function summaryComment(input: {
  epic: Pick<Epic, 'createdAt' | 'completedAt' | 'title'>;
  rows: SummaryRow[];
  costUsd: number;
  tokens: number;
}): string {
  const { epic, rows } = input;
  const end = epic.completedAt ?? new Date();
  const prs = rows.filter((r) => r.prNumber !== null).length;
  const rounds = rows.reduce((sum, r) => sum + r.reworkRounds, 0);
  const lines = rows.map(
    (r) =>
      `| #${r.issueNumber} | ${cell(r.title)} | ${r.prNumber ? `#${r.prNumber}` : '—'} | ${r.mergedSha ? `\`${r.mergedSha.slice(0, 7)}\`` : '—'} | ${r.reworkRounds} |`,
  );
  return [
    `## ✅ Epic completed`,
    `${rows.length} task${rows.length === 1 ? '' : 's'}, ${prs} pull request${prs === 1 ? '' : 's'} merged in ${formatDuration(end.getTime() - epic.createdAt.getTime())}; cost $${input.costUsd.toFixed(2)} (${input.tokens.toLocaleString('en-US')} tokens); ${rounds} rework round${rounds === 1 ? '' : 's'}.`,
    `| Task | Title | PR | Merged as | Rework rounds |\n|---|---|---|---|---|\n${lines.join('\n')}`,
  ].join('\n\n');
}
