import type { ProbotOctokit } from 'probot';
import type { RepoConfig } from '../config/repoConfig.js';
import type { Epic, MergeQueueEntry, Task } from '../db/schema.js';
import type { CheckRunFact, CommitStatusFact } from './checks.js';
import type { HeadPrFacts } from './nextStep.js';
import type { MergeQueueGit, RepoTarget } from './ports.js';
import { reviewCheckName } from './review/reviewCheck.js';
import { parseReviewMarker } from './reviewMarker.js';
import type { ReviewFact } from './reviews.js';

/**
 * Reads everything `nextStep` needs about the head PR: the PR, its reviews,
 * the checks and statuses on its head commit from GitHub; whether the base
 * moved and which reviews still cover the change from git; the rest from records.
 */

export interface HeadContext {
  octokit: ProbotOctokit;
  git: MergeQueueGit;
  target: RepoTarget;
  botLogin: string;
  epic: Epic;
  entry: MergeQueueEntry;
  task: Task;
  config: RepoConfig;
  now: Date;
  /** With `requiredChecks: all`, how long a commit without any check counts as "CI not started yet". */
  noChecksGraceMs: number;
}

export interface HeadRead {
  facts: HeadPrFacts;
  baseBranch: string;
  headBranch: string;
  headSha: string;
}

const trustedAssociations = new Set(['OWNER', 'MEMBER', 'COLLABORATOR']);
const outputLimit = 6_000;

export async function readHeadFacts(ctx: HeadContext): Promise<HeadRead> {
  const { octokit, target, entry } = ctx;
  const repo = { owner: target.owner, repo: target.repo };
  const { data: pr } = await octokit.rest.pulls.get({ ...repo, pull_number: entry.prNumber });
  const headSha = pr.head.sha;
  const baseBranch = pr.base.ref;
  const open = pr.state === 'open' && !pr.merged;

  // A closed PR needs no more than its own facts.
  const [reviews, checks, { base, speculation }] = open
    ? await Promise.all([
        readBaseAndSpeculation(ctx, headSha, baseBranch).then(async (read) => {
          const reviewFacts = await readReviews(ctx, headSha, baseBranch, read.speculation?.onSha);
          return [reviewFacts, read] as const;
        }),
        readChecks(ctx, headSha),
      ]).then(([[reviewFacts, read], checkFacts]) => [reviewFacts, checkFacts, read] as const)
    : ([
        [],
        { checkRuns: [], statuses: [], noChecksGraceExpired: true },
        { base: { sha: '', headIsUpToDate: true, contentUpToDate: true }, speculation: null },
      ] as const);

  const facts: HeadPrFacts = {
    pr: {
      state: pr.state === 'open' ? 'open' : 'closed',
      merged: pr.merged,
      mergedByApp: pr.merged_by?.login === ctx.botLogin,
      mergedBy: pr.merged_by?.login ?? null,
      mergeCommitSha: pr.merge_commit_sha ?? null,
      headSha,
      draft: pr.draft ?? false,
      mergeable: pr.mergeable ?? null,
    },
    task: { state: ctx.task.state },
    entry: { reworkRounds: entry.reworkRounds, conflictOnBaseSha: entry.conflictOnBaseSha },
    base,
    speculation,
    reviews,
    checks,
    config: ctx.config,
    epic: { paused: ctx.epic.pausedAt !== null || ctx.epic.state === 'BLOCKED' },
  };
  return { facts, baseBranch, headBranch: pr.head.ref, headSha };
}

async function readBaseAndSpeculation(
  ctx: HeadContext,
  headSha: string,
  baseBranch: string,
): Promise<Pick<HeadPrFacts, 'base' | 'speculation'>> {
  const { git, target, entry } = ctx;
  await git.refresh(target);
  const sha = await git.baseTip(target, baseBranch);
  const headIsUpToDate = await git.contains(target, headSha, sha);
  const contentUpToDate = headIsUpToDate || (await git.holdsContent(target, headSha, sha));
  const base = { sha, headIsUpToDate, contentUpToDate };
  const { speculatedOnSha: onSha, speculatedFromSha: fromSha } = entry;
  // A branch no longer built on the PR ahead (the worker or a person pushed another) has
  // nothing to undo; nor has one whose record names a commit this mirror never saw.
  const builtOnIt =
    onSha && fromSha && (await git.contains(target, headSha, onSha).catch(() => false));
  if (!onSha || !fromSha || !builtOnIt) {
    return { base, speculation: null };
  }
  return {
    base,
    speculation: { onSha, fromSha, landed: await git.holdsContent(target, sha, onSha) },
  };
}

async function readReviews(
  ctx: HeadContext,
  headSha: string,
  baseBranch: string,
  /** Where the head's own change starts when the app built it on the PR ahead. */
  headFrom: string | undefined,
): Promise<ReviewFact[]> {
  const { octokit, target, entry } = ctx;
  const raw = await octokit.paginate(octokit.rest.pulls.listReviews, {
    owner: target.owner,
    repo: target.repo,
    pull_number: entry.prNumber,
    per_page: 100,
  });
  const covers = new Map<string, Promise<boolean>>([[headSha, Promise.resolve(true)]]);
  const coversHead = (sha: string) => {
    let known = covers.get(sha);
    if (!known) {
      known = ctx.git.samePatch(ctx.target, baseBranch, sha, headSha, headFrom).catch(() => false);
      covers.set(sha, known);
    }
    return known;
  };
  return Promise.all(
    raw.map(async (review): Promise<ReviewFact> => {
      const byApp = review.user?.login === ctx.botLogin;
      const commitSha = review.commit_id ?? '';
      return {
        id: review.id,
        reviewer: review.user?.login ?? '(unknown)',
        byApp,
        trusted: !byApp && trustedAssociations.has(review.author_association),
        state: byApp ? appReviewState(review.state, review.body) : personReviewState(review.state),
        commitSha,
        coversHead: commitSha !== '' && (await coversHead(commitSha)),
      };
    }),
  );
}

/**
 * GitHub does not let an App approve or request changes on a PR it opened
 * itself; the supervisor then submits a comment review whose marker carries
 * the verdict. A dismissed review stays dismissed either way.
 */
function appReviewState(state: string, body: string | null | undefined): ReviewFact['state'] {
  if (state === 'DISMISSED') return 'DISMISSED';
  const marker = parseReviewMarker(body ?? '');
  if (state === 'COMMENTED' && marker)
    return marker.verdict === 'APPROVE' ? 'APPROVED' : 'CHANGES_REQUESTED';
  return personReviewState(state);
}

function personReviewState(state: string): ReviewFact['state'] {
  switch (state) {
    case 'APPROVED':
    case 'CHANGES_REQUESTED':
    case 'DISMISSED':
    case 'PENDING':
      return state;
    default:
      return 'COMMENTED';
  }
}

async function readChecks(ctx: HeadContext, headSha: string): Promise<HeadPrFacts['checks']> {
  const { octokit, target } = ctx;
  const repo = { owner: target.owner, repo: target.repo };
  const [runs, combined] = await Promise.all([
    octokit.paginate(octokit.rest.checks.listForRef, { ...repo, ref: headSha, per_page: 100 }),
    octokit.rest.repos.getCombinedStatusForRef({ ...repo, ref: headSha, per_page: 100 }),
  ]);
  // The supervisor's own verdict (review/reviewCheck.ts) is the review, not CI: the queue reads it as a review.
  const ciRuns = runs.filter((run) => run.name !== reviewCheckName);
  const checkRuns: CheckRunFact[] = ciRuns.map((run) => ({
    id: run.id,
    name: run.name,
    status: run.status,
    conclusion: run.conclusion ?? null,
    output: checkOutput(run.output),
    detailsUrl: run.details_url ?? run.html_url ?? null,
  }));
  const statuses: CommitStatusFact[] = combined.data.statuses.map((status) => ({
    context: status.context,
    state: status.state as CommitStatusFact['state'],
    description: status.description,
    targetUrl: status.target_url,
  }));
  let noChecksGraceExpired = true;
  if (checkRuns.length === 0 && statuses.length === 0 && ctx.config.requiredChecks === 'all') {
    const { data: commit } = await octokit.rest.repos.getCommit({ ...repo, ref: headSha });
    const at = Date.parse(commit.commit.committer?.date ?? '');
    noChecksGraceExpired = Number.isNaN(at) || ctx.now.getTime() - at >= ctx.noChecksGraceMs;
  }
  return { checkRuns, statuses, noChecksGraceExpired };
}

function checkOutput(output: {
  title?: string | null;
  summary?: string | null;
  text?: string | null;
}): string {
  const text = [output.title, output.summary, output.text].filter(Boolean).join('\n\n');
  return text.length > outputLimit ? `${text.slice(0, outputLimit)}\n… (cut)` : text;
}
