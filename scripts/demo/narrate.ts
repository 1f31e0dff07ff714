import type { Delivery } from '../../test/support/githubEmulator/index.js';
import type { BareRepo } from '../../test/support/githubEmulator/bareRepo.js';

/**
 * What the demo prints for each webhook: one line per thing a person would
 * notice on GitHub, in the product's words — the plan's tasks, why a PR got
 * new commits (the app's rebase or a worker's fix), each review's verdict.
 */

interface Payload {
  sender?: { login: string };
  issue?: { number: number; title: string };
  pull_request?: { number: number; title: string; merged?: boolean };
  label?: { name: string };
  comment?: { body: string };
  review?: { state: string; body?: string | null };
  sub_issue?: { number: number; title: string };
  parent_issue?: { number: number };
  check_run?: { name: string; conclusion: string | null; head_sha: string };
  before?: string;
  after?: string;
}

const verdictMarker = /<!-- factory:review verdict=(APPROVE|REQUEST_CHANGES) /;

function firstLine(text: string): string {
  return (
    text
      .replace(/<!--[\s\S]*?-->/g, '')
      .split('\n')
      .map((line) => line.replace(/^#+\s*/, '').trim())
      .find((line) => line !== '') ?? ''
  ).slice(0, 90);
}

export async function narrate(delivery: Delivery, git: BareRepo): Promise<string | undefined> {
  const p = delivery.payload as Payload;
  const who = p.sender?.login ?? 'GitHub';
  const pr = p.pull_request?.number;
  switch (`${delivery.event}.${delivery.action ?? ''}`) {
    case 'issues.opened':
      return `${who} opened issue #${p.issue?.number}: ${p.issue?.title}`;
    case 'issues.labeled':
      return `${who} labelled #${p.issue?.number} ${p.label?.name}`;
    case 'issues.closed':
      return `${who} closed issue #${p.issue?.number}`;
    case 'issue_comment.created':
      return `${who} commented on #${p.issue?.number}: ${firstLine(p.comment?.body ?? '')}`;
    case 'sub_issues.sub_issue_added':
      return `plan: task #${p.sub_issue?.number} — ${p.sub_issue?.title}`;
    case 'pull_request.opened':
      return `${who} opened PR #${pr}: ${p.pull_request?.title}`;
    case 'pull_request.synchronize':
      return `PR #${pr}: ${await explainPush(git, p.before, p.after)}`;
    case 'pull_request.closed':
      return `${who} ${p.pull_request?.merged ? 'merged' : 'closed'} PR #${pr}`;
    case 'pull_request_review.submitted': {
      const body = p.review?.body ?? '';
      const verdict = verdictMarker.exec(body)?.[1];
      // GitHub records an App's verdict on its own PR as a comment; the verdict is in the review.
      if (verdict) return `supervisor reviewed PR #${pr}: ${verdict} — ${firstLine(body)}`;
      return `${who} reviewed PR #${pr}: ${p.review?.state}`;
    }
    case 'check_run.completed':
      return `check "${p.check_run?.name}" on ${p.check_run?.head_sha.slice(0, 7)}: ${p.check_run?.conclusion}`;
    default:
      return undefined;
  }
}

/** New commits on a PR: on top of what was there (a worker's work), or the same change moved onto a newer base. */
async function explainPush(git: BareRepo, before?: string, after?: string): Promise<string> {
  if (!before || !after) return 'new commits';
  if (await git.isAncestor(before, after).catch(() => false)) {
    const added = await git.commitsBetween(before, after).catch(() => []);
    const subjects = added.map((c) => c.message.split('\n')[0]).join('; ');
    return `a worker added ${added.length} commit${added.length === 1 ? '' : 's'} (${subjects})`;
  }
  return 'the app rebased it onto the new main (same change, so its review stands)';
}
