/**
 * `npm run bench:queue` — lands N PRs through an epic's queue, on real git,
 * under two policies, and compares them:
 *   queue: Factory's merge queue — the same `nextStep`, `reviewAheadStep`
 *          and `speculateStep` the app runs, on the app's own git: the
 *          supervisor reviews the next PRs behind the head while the head's
 *          checks run, the app builds the next approved PR on the head's
 *          commit so its checks run at the same time (speculative CI), brings
 *          the head up to date itself with git, and a worker agent only for
 *          a real conflict;
 *   seed:  the seed's strict policy (seed/ARCHITECTURE.md, "PR Flow
 *          (Sequential Review)"): after every merge the next PR's worker is
 *          asked to rebase (the "Trigger Rebase" box: an event/mail, modelled
 *          as free — no agent run, no time), the worker agent rebases
 *          (resolving any conflict) and pushes, then the supervisor reviews it
 *          — while its CI runs, which is the most favourable reading — and merges.
 *
 * Simulated: GitHub's API and CI (a check on a pushed commit finishes T
 * seconds after the push), and agent runs (a supervisor review takes R
 * seconds, a worker round trip W seconds). Real: git — the mirror, fetches,
 * worktrees, rebases, pushes to a local bare repository, merges.
 * Agent runs are counted the same way for both: every supervisor review and
 * every worker round trip is one.
 *
 * The defaults run three scenarios, on a time scale of one simulated minute
 * per second: `equal` (CI = review = worker = 1), `slow-ci` (CI 5, review 2,
 * worker 2: a typical CI run against Claude Code sessions of a couple of
 * minutes) and `slow-agents` (CI 1, review 3, worker 3). BENCH_CI_SECONDS,
 * BENCH_REVIEW_SECONDS, BENCH_WORKER_SECONDS (or BENCH_AGENT_SECONDS for
 * both) run one scenario instead. BENCH_N (20), BENCH_CONFLICT_SHARE (0.1),
 * BENCH_REVIEW_AHEAD (the app's default), BENCH_SPECULATE (1; 0 turns
 * speculative CI off, as `mergeQueue.speculate: false` does). Writes
 * bench/results/queue.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'prettier';
import { defaultRepoConfig } from '../src/config/repoConfig.js';
import type { GitHubClients } from '../src/deps.js';
import { ensureTaskWorktree, mirrorPath, pushTaskBranch, runGit } from '../src/git/index.js';
import { createMergeQueueGit } from '../src/mergeQueue/gitOperations.js';
import { nextStep, type HeadPrFacts } from '../src/mergeQueue/nextStep.js';
import type { BranchTarget, MergeQueueGit } from '../src/mergeQueue/ports.js';
import { reviewAheadStep } from '../src/mergeQueue/reviewAhead.js';
import { speculateStep } from '../src/mergeQueue/speculate.js';
import type { ReviewFact } from '../src/mergeQueue/reviews.js';
import { defaultMergeQueueOptions } from '../src/mergeQueue/steps/context.js';

interface Scenario {
  name: string;
  /** CI: a check on a pushed commit finishes this many seconds after the push. */
  ciSeconds: number;
  /** One supervisor review (an agent run). */
  reviewSeconds: number;
  /** One worker round trip: the agent gets the PR back, rebases or resolves, pushes. */
  workerSeconds: number;
}

const N = Number(process.env.BENCH_N ?? 20);
const conflictShare = Number(process.env.BENCH_CONFLICT_SHARE ?? 0.1);
const reviewAhead = Number(process.env.BENCH_REVIEW_AHEAD ?? defaultMergeQueueOptions.reviewAhead);
const speculate = process.env.BENCH_SPECULATE !== '0';
const queueConfig = {
  ...defaultRepoConfig,
  requiredChecks: 'all' as const,
  mergeQueue: { speculate },
};

function scenarios(): Scenario[] {
  const env = process.env;
  if (
    env.BENCH_CI_SECONDS ||
    env.BENCH_AGENT_SECONDS ||
    env.BENCH_REVIEW_SECONDS ||
    env.BENCH_WORKER_SECONDS
  ) {
    const agent = Number(env.BENCH_AGENT_SECONDS ?? 1);
    return [
      {
        name: 'custom',
        ciSeconds: Number(env.BENCH_CI_SECONDS ?? 1),
        reviewSeconds: Number(env.BENCH_REVIEW_SECONDS ?? agent),
        workerSeconds: Number(env.BENCH_WORKER_SECONDS ?? agent),
      },
    ];
  }
  return [
    { name: 'equal', ciSeconds: 1, reviewSeconds: 1, workerSeconds: 1 },
    { name: 'slow-ci', ciSeconds: 5, reviewSeconds: 2, workerSeconds: 2 },
    { name: 'slow-agents', ciSeconds: 1, reviewSeconds: 3, workerSeconds: 3 },
  ];
}

const target = { installationId: 1, owner: 'bench', repo: 'repo' };
const identity = { name: 'factory[bot]', email: 'bot@example.com' };
const sleep = (seconds: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, seconds) * 1000));
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 }).trim();

/** PRs that conflict once the PR before them is merged: evenly spread, round(p·N) of them. */
function conflictingPrs(): Set<number> {
  const count = Math.round(conflictShare * N);
  const chosen = new Set<number>();
  for (let j = 0; j < count; j += 1) chosen.add(Math.max(1, Math.floor(((j + 0.5) * N) / count)));
  return chosen;
}

interface Counters {
  ciRuns: number;
  reviews: number;
  reviewsAhead: number;
  conflictResolutions: number;
  rebaseRequests: number;
  workerRebases: number;
  appUpdates: number;
  speculations: number;
  speculationConflicts: number;
  droppedSpeculations: number;
}

/** Where the wall time went: seconds and calls per operation. */
class Profile {
  private spent = new Map<string, { calls: number; seconds: number }>();

  async time<T>(name: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      const entry = this.spent.get(name) ?? { calls: 0, seconds: 0 };
      entry.calls += 1;
      entry.seconds += (performance.now() - started) / 1000;
      this.spent.set(name, entry);
    }
  }

  seconds(prefix: string): number {
    let total = 0;
    for (const [name, entry] of this.spent) if (name.startsWith(prefix)) total += entry.seconds;
    return total;
  }

  toJSON() {
    return Object.fromEntries(
      [...this.spent].map(([name, e]) => [name, { calls: e.calls, seconds: round(e.seconds) }]),
    );
  }
}

const round = (value: number) => Number(value.toFixed(2));

/** The app's git, each operation timed under `git:<name>`. */
function timedGit(inner: MergeQueueGit, profile: Profile): MergeQueueGit {
  const timed = {} as Record<string, unknown>;
  for (const [name, fn] of Object.entries(inner)) {
    timed[name] = (...args: unknown[]) =>
      profile.time(`git:${name}`, () => (fn as (...a: unknown[]) => Promise<unknown>)(...args));
  }
  return timed as unknown as MergeQueueGit;
}

/** A repository with N open PRs, each on its own branch, and a simulated CI and GitHub. */
class Bench {
  root = mkdtempSync(path.join(os.tmpdir(), 'factory-bench-queue-'));
  bare = path.join(this.root, 'repo.git');
  profile = new Profile();
  git: MergeQueueGit;
  counters: Counters = {
    ciRuns: 0,
    reviews: 0,
    reviewsAhead: 0,
    conflictResolutions: 0,
    rebaseRequests: 0,
    workerRebases: 0,
    appUpdates: 0,
    speculations: 0,
    speculationConflicts: 0,
    droppedSpeculations: 0,
  };
  private ciStarted = new Map<string, number>();
  reviews = new Map<number, { id: number; sha: string }[]>();
  merged: number[] = [];

  constructor(
    conflicting: Set<number>,
    readonly scenario: Scenario,
  ) {
    const work = path.join(this.root, 'work');
    git(this.root, 'init', '--bare', '--quiet', '--initial-branch=main', this.bare);
    git(this.root, 'init', '--quiet', '--initial-branch=main', work);
    for (let i = 0; i < N; i += 1) writeFileSync(path.join(work, `f${i}.txt`), `file ${i}\n`);
    const commit = (message: string) => {
      git(work, 'add', '--all');
      git(work, '-c', 'user.name=W', '-c', 'user.email=w@e', 'commit', '--quiet', '-m', message);
    };
    commit('Initial commit');
    git(work, 'push', '--quiet', this.bare, 'main');
    for (let i = 0; i < N; i += 1) {
      git(work, 'checkout', '--quiet', '-B', this.branch(i), 'main');
      writeFileSync(path.join(work, `f${i}.txt`), `changed by PR ${i}\n`);
      if (conflicting.has(i))
        writeFileSync(path.join(work, `f${i - 1}.txt`), `PR ${i} also changes this\n`);
      commit(`PR ${i}`);
      git(work, 'push', '--quiet', this.bare, this.branch(i));
    }
    const github: GitHubClients = {
      forInstallation: () => Promise.reject(new Error('simulated')),
      installationToken: () => Promise.reject(new Error('simulated')),
      botLogin: () => Promise.resolve(identity.name),
    };
    const real = createMergeQueueGit(
      { env: { WORKTREE_DIR: path.join(this.root, 'worktrees') }, github },
      {
        remote: () => Promise.resolve({ url: this.bare }),
        identity: () => Promise.resolve(identity),
      },
    );
    this.git = timedGit(real, this.profile);
  }

  branch(i: number) {
    return `factory/1-${i + 100}-pr`;
  }

  branchTarget(i: number): BranchTarget {
    return {
      ...target,
      epicIssue: 1,
      taskIssue: i + 100,
      branch: this.branch(i),
      baseBranch: 'main',
      branchPrefix: 'factory',
      worktreePath: null,
    };
  }

  /** GitHub's view of the PR head and the base (the simulated API, not timed as git). */
  headSha(i: number) {
    return git(this.bare, 'rev-parse', `refs/heads/${this.branch(i)}`);
  }

  baseSha() {
    return git(this.bare, 'rev-parse', 'refs/heads/main');
  }

  /** CI starts when a commit is pushed; every PR's first commit was pushed when the clock started. */
  startCi(sha: string) {
    if (this.ciStarted.has(sha)) return;
    this.ciStarted.set(sha, Date.now());
    this.counters.ciRuns += 1;
  }

  ciRemaining(sha: string): number {
    const started = this.ciStarted.get(sha);
    if (started === undefined) return this.scenario.ciSeconds;
    return Math.max(0, this.scenario.ciSeconds - (Date.now() - started) / 1000);
  }

  startClock() {
    for (let i = 0; i < N; i += 1) this.startCi(this.headSha(i));
  }

  /** The supervisor agent reviews (and approves) a commit: one agent run. */
  async review(i: number, sha: string) {
    this.counters.reviews += 1;
    await sleep(this.scenario.reviewSeconds);
    const list = this.reviews.get(i) ?? [];
    list.push({ id: list.length + 1, sha });
    this.reviews.set(i, list);
  }

  /**
   * GitHub's merge, squashed, and the guarantee under test: it lands exactly the
   * tree the checks ran on (the head contains the base, or already holds it in
   * content after a speculative build on the PR merged before it).
   */
  merge(i: number, sha: string) {
    const base = this.baseSha();
    const merged = git(this.bare, 'merge-tree', '--write-tree', base, sha).split('\n')[0];
    if (merged !== git(this.bare, 'rev-parse', `${sha}^{tree}`))
      throw new Error(`PR ${i} would land another tree than the one checked`);
    if (this.ciRemaining(sha) > 0) throw new Error(`PR ${i} merged before its checks finished`);
    if (!(this.reviews.get(i) ?? []).length) throw new Error(`PR ${i} merged without a review`);
    const tree = git(this.bare, 'rev-parse', `${sha}^{tree}`);
    const commit = execFileSync('git', ['commit-tree', tree, '-p', base, '-m', `Merge PR ${i}`], {
      cwd: this.bare,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'G',
        GIT_AUTHOR_EMAIL: 'g@e',
        GIT_COMMITTER_NAME: 'G',
        GIT_COMMITTER_EMAIL: 'g@e',
      },
    }).trim();
    git(this.bare, 'update-ref', 'refs/heads/main', commit, base);
    this.merged.push(i);
  }

  /**
   * A worker agent round trip: W seconds of agent (`wait:worker`), then in
   * the task's worktree the agent's git — rebase onto the base, resolve any
   * conflict by keeping both sides, push (`worker-git`).
   */
  async workerRebase(i: number): Promise<string> {
    await this.profile.time('wait:worker', () => sleep(this.scenario.workerSeconds));
    return this.profile.time('worker-git', async () => {
      await this.git.refresh(target);
      const mirror = mirrorPath({ root: path.join(this.root, 'worktrees'), ...target });
      const tree = await ensureTaskWorktree({
        mirror,
        path: path.join(this.root, 'worktrees', target.owner, target.repo, 'tasks', `1-${i + 100}`),
        branch: this.branch(i),
        baseBranch: 'main',
      });
      const before = this.headSha(i);
      const cwd = tree.path;
      const env = {
        GIT_AUTHOR_NAME: 'W',
        GIT_AUTHOR_EMAIL: 'w@e',
        GIT_COMMITTER_NAME: 'W',
        GIT_COMMITTER_EMAIL: 'w@e',
      };
      await runGit(['reset', '--quiet', '--hard', before], { cwd });
      try {
        await runGit(['rebase', '--quiet', 'refs/remotes/origin/main'], { cwd, env });
      } catch {
        const files = (await runGit(['diff', '--name-only', '--diff-filter=U'], { cwd }))
          .split('\n')
          .filter(Boolean);
        for (const file of files) {
          const text = readFileSync(path.join(cwd, file), 'utf8');
          writeFileSync(path.join(cwd, file), text.replace(/^(<<<<<<<|=======|>>>>>>>).*\n/gm, ''));
          await runGit(['add', file], { cwd });
        }
        await runGit(['-c', 'core.editor=true', 'rebase', '--continue'], { cwd, env });
      }
      const sha = await pushTaskBranch({
        gitDir: cwd,
        branch: this.branch(i),
        taskBranch: this.branch(i),
        prefix: 'factory',
        remote: { url: this.bare },
        forceWithLeaseSha: before,
      });
      this.startCi(sha);
      return sha;
    });
  }

  finalTree() {
    return git(this.bare, 'rev-parse', 'main^{tree}');
  }

  close() {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** What the app's reader would report as the PR's reviews (all approvals in this bench). */
async function reviewFacts(
  bench: Bench,
  i: number,
  headSha: string,
  headFrom?: string,
): Promise<ReviewFact[]> {
  return Promise.all(
    (bench.reviews.get(i) ?? []).map(async (review) => ({
      id: review.id,
      reviewer: identity.name,
      byApp: true,
      trusted: false,
      state: 'APPROVED' as const,
      commitSha: review.sha,
      coversHead:
        review.sha === headSha ||
        (await bench.git.samePatch(target, 'main', review.sha, headSha, headFrom)),
    })),
  );
}

/** What the app keeps per queue entry (merge_queue_entries). */
interface EntryRecord {
  reworkRounds: number;
  conflictOnBaseSha: string | null;
  speculatedOnSha: string | null;
  speculatedFromSha: string | null;
}

/**
 * The facts `readHeadFacts` reads for PR `i`, from the same git port calls
 * (contains, holdsContent, samePatch); GitHub's side (PR, checks) from the simulation.
 */
async function readFacts(bench: Bench, i: number, entry: EntryRecord): Promise<HeadPrFacts> {
  const headSha = bench.headSha(i);
  const baseSha = bench.baseSha();
  const headIsUpToDate = await bench.git.contains(target, headSha, baseSha);
  const contentUpToDate =
    headIsUpToDate || (await bench.git.holdsContent(target, headSha, baseSha));
  const { speculatedOnSha: onSha, speculatedFromSha: fromSha } = entry;
  const speculation =
    onSha && fromSha && (await bench.git.contains(target, headSha, onSha))
      ? { onSha, fromSha, landed: await bench.git.holdsContent(target, baseSha, onSha) }
      : null;
  return {
    pr: {
      state: 'open',
      merged: false,
      mergedByApp: false,
      mergedBy: null,
      mergeCommitSha: null,
      headSha,
      draft: false,
      mergeable: true,
    },
    task: { state: 'REVIEW' },
    entry: { reworkRounds: entry.reworkRounds, conflictOnBaseSha: entry.conflictOnBaseSha },
    base: { sha: baseSha, headIsUpToDate, contentUpToDate },
    speculation,
    reviews: await reviewFacts(bench, i, headSha, speculation?.onSha),
    checks: {
      checkRuns: [
        bench.ciRemaining(headSha) > 0
          ? { id: 1, name: 'ci', status: 'in_progress', conclusion: null }
          : { id: 1, name: 'ci', status: 'completed', conclusion: 'success' },
      ],
      statuses: [],
      noChecksGraceExpired: true,
    },
    config: queueConfig,
    epic: { paused: false },
  };
}

/**
 * Factory's queue, step by step as the app takes them. On every look at the
 * head the app asks for reviews of the next `reviewAhead` PRs (the
 * `review-ahead` job, run beside the head's steps); the head's own review or
 * update waits for a review of it that is still running (the entry's lease).
 * While the head waits for its checks, the app looks at the next PR
 * (`speculateStep`) and builds it on the head's commit when it is approved;
 * a finished review ahead wakes the queue, as the app's `reviewed` wake does.
 * Only what the head waits for is on the critical path.
 */
async function runQueue(bench: Bench) {
  const { profile } = bench;
  const running = new Map<number, Promise<void>>();
  const background: Promise<void>[] = [];
  const entries = Array.from({ length: N }, (): EntryRecord => ({
    reworkRounds: 0,
    conflictOnBaseSha: null,
    speculatedOnSha: null,
    speculatedFromSha: null,
  }));
  const entry = (i: number) => entries[i] as EntryRecord;
  // The head's look only enqueues `review-ahead` jobs; each job reads its PR and decides on its own.
  const reviewAheadJob = async (j: number) => {
    const facts = await readFacts(bench, j, entry(j));
    const step = reviewAheadStep(facts);
    if (step.kind !== 'review') return;
    bench.counters.reviewsAhead += 1;
    await bench.review(j, step.sha);
  };
  // One job per PR head commit, as the app's job ids make it (tasks.headSha in the app).
  const asked = new Set<string>();
  const askForReviewsAhead = (head: number) => {
    for (let j = head + 1; j < Math.min(N, head + 1 + reviewAhead); j += 1) {
      const key = `${j}:${bench.headSha(j)}`;
      if (asked.has(key)) continue;
      asked.add(key);
      const job = reviewAheadJob(j).finally(() => running.delete(j));
      running.set(j, job);
      background.push(job);
    }
  };
  /** The app's speculation after the head's step (advance.ts → steps/speculateNext.ts). */
  const speculateNext = async (i: number, headStep: ReturnType<typeof nextStep>) => {
    const j = i + 1;
    if (j >= N || headStep.kind !== 'wait' || headStep.for !== 'checks') return;
    const headSha = bench.headSha(i);
    const facts = await readFacts(bench, j, entry(j));
    const step = speculateStep({ ahead: { headSha, step: headStep }, next: facts });
    if (step.kind === 'skip') return;
    const outcome = await bench.git.updateBranch(
      bench.branchTarget(j),
      step.method,
      facts.pr.headSha,
      { onto: step.onSha, from: step.fromSha },
    );
    if (outcome.outcome === 'conflict') {
      bench.counters.speculationConflicts += 1;
      entry(j).conflictOnBaseSha = step.onSha;
    } else if (outcome.outcome === 'updated') {
      bench.counters.speculations += 1;
      Object.assign(entry(j), { speculatedOnSha: step.onSha, speculatedFromSha: step.fromSha });
      bench.startCi(outcome.headSha);
    }
  };
  const builtOnHead = (i: number) =>
    i + 1 >= N || entry(i + 1).speculatedOnSha === bench.headSha(i);

  for (let i = 0; i < N; i += 1) {
    const record = entry(i);
    for (let guard = 0; guard < 50; guard += 1) {
      // The app reads the facts (and fetches) on every look.
      await bench.git.refresh(target);
      askForReviewsAhead(i);
      const headSha = bench.headSha(i);
      const facts = await readFacts(bench, i, record);
      const step = nextStep(facts);
      const leased = running.get(i);
      if (leased && (step.kind === 'review' || step.kind === 'update-branch')) {
        await profile.time('wait:review-ahead-still-running', () => leased);
        continue;
      }
      if (step.kind === 'merge') {
        await profile.time('github:merge', async () => bench.merge(i, step.sha));
        break;
      }
      if (step.kind === 'review') {
        await profile.time('wait:review-at-head', () => bench.review(i, step.sha));
      } else if (step.kind === 'wait' && step.for === 'checks') {
        await profile.time('speculate', () => speculateNext(i, step));
        // A review ahead finishing wakes the queue (the app's `reviewed` wake): look again then.
        const reviewing = !builtOnHead(i) ? running.get(i + 1) : undefined;
        await profile.time('wait:ci', () =>
          Promise.race([sleep(bench.ciRemaining(headSha)), ...(reviewing ? [reviewing] : [])]),
        );
      } else if (step.kind === 'update-branch') {
        bench.counters.appUpdates += 1;
        const outcome = await bench.git.updateBranch(
          bench.branchTarget(i),
          step.method,
          headSha,
          step.fromSha ? { from: step.fromSha } : {},
        );
        if (outcome.outcome === 'conflict') record.conflictOnBaseSha = step.baseSha;
        if (outcome.outcome === 'updated') {
          Object.assign(record, { speculatedOnSha: null, speculatedFromSha: null });
          bench.startCi(outcome.headSha);
        }
      } else if (step.kind === 'drop-speculation') {
        bench.counters.droppedSpeculations += 1;
        const outcome = await bench.git.resetBranch(bench.branchTarget(i), step.fromSha, headSha);
        if (outcome.outcome === 'updated')
          Object.assign(record, { speculatedOnSha: null, speculatedFromSha: null });
      } else if (step.kind === 'send-back' && step.because === 'conflict') {
        Object.assign(record, {
          reworkRounds: step.round,
          conflictOnBaseSha: null,
          speculatedOnSha: null,
          speculatedFromSha: null,
        });
        bench.counters.conflictResolutions += 1;
        await bench.workerRebase(i);
      } else throw new Error(`Unexpected step for PR ${i}: ${JSON.stringify(step)}`);
    }
  }
  await Promise.all(background);
}

/**
 * The seed: after every merge the next PR's worker is asked to rebase (an
 * event: free), the worker agent rebases and pushes, then the supervisor
 * reviews while its CI runs, and merges once both are done.
 */
async function runSeed(bench: Bench) {
  const { profile } = bench;
  for (let i = 0; i < N; i += 1) {
    await bench.git.refresh(target);
    let headSha = bench.headSha(i);
    if (!(await bench.git.contains(target, headSha, bench.baseSha()))) {
      bench.counters.rebaseRequests += 1;
      bench.counters.workerRebases += 1;
      headSha = await bench.workerRebase(i);
    }
    const sha = headSha;
    await profile.time('wait:review-at-head', () => bench.review(i, sha)); // CI runs meanwhile
    await profile.time('wait:ci', () => sleep(bench.ciRemaining(sha)));
    await profile.time('github:merge', async () => bench.merge(i, sha));
  }
}

async function measure(
  name: string,
  scenario: Scenario,
  conflicting: Set<number>,
  run: (bench: Bench) => Promise<void>,
) {
  const bench = new Bench(conflicting, scenario);
  try {
    bench.startClock();
    const started = Date.now();
    await run(bench);
    const wallSeconds = (Date.now() - started) / 1000;
    const c = bench.counters;
    const inOrder = bench.merged.every((pr, index) => pr === index) && bench.merged.length === N;
    if (!inOrder) throw new Error(`${name}: PRs landed out of order: ${bench.merged.join(',')}`);
    const waitedOnAgentsAndCi = bench.profile.seconds('wait:');
    return {
      policy: name,
      wallSeconds: round(wallSeconds),
      criticalPath: {
        waitedOnAgentsAndCiSeconds: round(waitedOnAgentsAndCi),
        gitAndOverheadSeconds: round(wallSeconds - waitedOnAgentsAndCi),
      },
      ciRuns: c.ciRuns,
      agentRuns: c.reviews + c.conflictResolutions + c.workerRebases,
      workerRoundTrips: c.conflictResolutions + c.workerRebases,
      breakdown: {
        reviews: c.reviews,
        reviewsAhead: c.reviewsAhead,
        conflictResolutions: c.conflictResolutions,
        workerRebases: c.workerRebases,
        rebaseRequestEvents: c.rebaseRequests,
        appUpdatesWithGit: c.appUpdates,
        speculativeBuilds: c.speculations,
        speculativeBuildConflicts: c.speculationConflicts,
        droppedSpeculations: c.droppedSpeculations,
      },
      profile: bench.profile.toJSON(),
      landed: bench.merged.length,
      finalTree: bench.finalTree(),
    };
  } finally {
    bench.close();
  }
}

const targets = { wallTime: 0.5, agentRoundTrips: 0.3 };

async function runScenario(scenario: Scenario, conflicting: Set<number>) {
  console.log(
    `\n${scenario.name}: CI ${scenario.ciSeconds}s per commit, review ${scenario.reviewSeconds}s, worker round trip ${scenario.workerSeconds}s`,
  );
  const load = os.loadavg()[0] ?? 0;
  const queue = await measure('queue', scenario, conflicting, runQueue);
  const seed = await measure('seed', scenario, conflicting, runSeed);
  if (queue.finalTree !== seed.finalTree)
    throw new Error('The two policies landed different trees');
  const ratios = {
    wallTime: round3(queue.wallSeconds / seed.wallSeconds),
    agentRuns: round3(queue.agentRuns / seed.agentRuns),
    workerRoundTrips: round3(queue.workerRoundTrips / seed.workerRoundTrips),
    ciRuns: round3(queue.ciRuns / seed.ciRuns),
  };
  const row = (r: typeof queue) =>
    `${r.policy.padEnd(6)} ${String(r.wallSeconds).padStart(8)}s ${String(r.criticalPath.gitAndOverheadSeconds).padStart(8)}s ${String(r.ciRuns).padStart(8)} ${String(r.agentRuns).padStart(11)} ${String(r.workerRoundTrips).padStart(14)}`;
  console.log(`policy     wall  git+ovh  CI runs  agent runs  worker trips`);
  console.log(row(queue));
  console.log(row(seed));
  console.log(
    `queue/seed: wall ${ratios.wallTime} (target ≤ ${targets.wallTime}), agent runs ${ratios.agentRuns} and worker round trips ${ratios.workerRoundTrips} (target ≤ ${targets.agentRoundTrips}), CI runs ${ratios.ciRuns}`,
  );
  return {
    scenario,
    loadAverage1mAtStart: round(load),
    loadAverage1mAtEnd: round(os.loadavg()[0] ?? 0),
    queue: { ...queue, finalTree: undefined },
    seed: { ...seed, finalTree: undefined },
    ratios,
    met: {
      wallTime: ratios.wallTime <= targets.wallTime,
      agentRunsIncludingReviews: ratios.agentRuns <= targets.agentRoundTrips,
      workerRoundTrips: ratios.workerRoundTrips <= targets.agentRoundTrips,
    },
  };
}

const round3 = (value: number) => Number(value.toFixed(3));

async function main() {
  const conflicting = conflictingPrs();
  console.log(
    `bench:queue — N=${N} PRs, conflicting share ${conflictShare} (PRs ${[...conflicting].join(', ') || 'none'}), reviews ahead ${reviewAhead}, speculative CI ${speculate ? 'on' : 'off'}, load ${os.loadavg()[0]?.toFixed(1)} on ${os.cpus().length} CPUs`,
  );
  const runs = [];
  for (const scenario of scenarios()) runs.push(await runScenario(scenario, conflicting));
  const results = {
    measuredAt: new Date().toISOString(),
    command: 'npm run bench:queue',
    model: {
      timeScale: 'one simulated minute per second',
      simulated:
        'GitHub API and CI (a check finishes ciSeconds after its commit is pushed); agent runs (a supervisor review takes reviewSeconds, a worker round trip workerSeconds)',
      real: 'git: mirror, fetches, worktrees, rebases, pushes to a local bare repository, squash merges',
      queue:
        "Factory: nextStep for the head PR on every look (fetching each time), reviewAheadStep for the next reviewAhead PRs behind it (reviews run beside the head's steps), speculateStep for the next PR while the head waits for its checks (the app's git builds it on the head's commit; its CI starts then), the app's own git update of the head, a worker only for a conflict",
      seed: 'seed/ARCHITECTURE.md PR Flow: after each merge the next worker is asked to rebase (an event, free), the worker agent rebases and pushes, the supervisor reviews while CI runs, then merges',
      counting:
        'agentRuns = every supervisor review + every worker round trip, for both policies; workerRoundTrips = worker round trips only (a PR sent back to its worker)',
      notModelled:
        'network latency of fetch/push/API calls (the remote is local), webhook delivery and job pick-up latency, PRs that fail CI (so no speculation is ever dropped here)',
    },
    params: { N, conflictShare, conflictingPrs: [...conflicting], reviewAhead, speculate },
    machine: { cpus: os.cpus().length },
    targets,
    runs,
  };
  const out = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(out, { recursive: true });
  const json = await format(JSON.stringify(results), { parser: 'json' });
  writeFileSync(path.join(out, 'queue.json'), json);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
