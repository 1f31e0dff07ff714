import type { CheckRunRecord, IssueRecord, RepoRecord } from './records.js';

/**
 * The pages a browser opens at the emulator's issue and pull-request links
 * (the status page links there in the demo): a plain, read-only view of what
 * GitHub would show — title, state, body, comments, reviews and checks.
 * Everything shown is escaped; it is the agents' and people's text.
 */

const escape = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** Text as GitHub renders it for reading: HTML comments (the app's markers) hidden. */
const shown = (text: string) => escape(text.replace(/<!--[\s\S]*?-->/g, '').trim());

export function issuePage(repo: RepoRecord, issue: IssueRecord): string {
  const name = `${repo.owner.login}/${repo.name}`;
  const kind = issue.pull ? 'Pull request' : 'Issue';
  const state = issue.pull?.merged ? 'merged' : issue.state;
  const comments = [...repo.comments.values()].filter((c) => c.issueNumber === issue.number);
  const sections = [
    `<p><strong>${state}</strong> · opened by ${escape(issue.user.login)}${
      issue.labels.length ? ` · labels: ${issue.labels.map(escape).join(', ')}` : ''
    }</p>`,
    `<pre>${shown(issue.body) || '<em>No description.</em>'}</pre>`,
  ];
  if (issue.pull) {
    const pull = issue.pull;
    sections.push(
      `<p>${escape(pull.headRef)} → ${escape(pull.baseRef)} at <code>${pull.headSha.slice(0, 7)}</code></p>`,
      `<h2>Checks</h2>${checkList(repo.checkRuns.filter((run) => run.headSha === pull.headSha))}`,
      `<h2>Reviews</h2>${
        pull.reviews
          .map(
            (r) =>
              `<article><p><strong>${escape(r.user.login)}</strong> · ${r.state} on <code>${r.commitId.slice(0, 7)}</code></p><pre>${shown(r.body)}</pre></article>`,
          )
          .join('') || '<p><em>None.</em></p>'
      }`,
    );
  }
  sections.push(
    `<h2>Comments</h2>${
      comments
        .map(
          (c) =>
            `<article><p><strong>${escape(c.user.login)}</strong></p><pre>${shown(c.body)}</pre></article>`,
        )
        .join('') || '<p><em>None.</em></p>'
    }`,
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(issue.title)} · ${escape(name)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}pre{white-space:pre-wrap;background:#f6f8fa;padding:.75rem;border-radius:6px}article{border-top:1px solid #ddd}</style>
</head><body><p>${escape(name)} (GitHub emulator) · ${kind} #${issue.number}</p><h1>${escape(issue.title)}</h1>${sections.join('\n')}</body></html>`;
}

function checkList(runs: CheckRunRecord[]): string {
  if (runs.length === 0) return '<p><em>None.</em></p>';
  return `<ul>${runs
    .map((run) => `<li>${escape(run.name)}: ${run.conclusion ?? run.status}</li>`)
    .join('')}</ul>`;
}
