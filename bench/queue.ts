/**
 * `npm run bench:queue` — lands N PRs through an epic's queue twice, on real
 * git, and compares:
 *   queue: Factory's merge queue — the same `nextStep` the app runs, the app
 *          updating branches itself with git, the worker agent only for a
 *          real conflict;
 *   seed:  the seed's strict policy (seed/ARCHITECTURE.md, "PR Flow"): after
 *          every merge the supervisor asks the next PR's worker to rebase, the
 *          worker agent rebases (resolving conflicts), then the supervisor reviews.
 * GitHub and the model are simulated at the level of the decision and its
 * steps: CI takes T seconds per pushed commit, an agent round trip takes A
 * seconds. Git (mirror, worktrees, rebases, pushes, merges) is real.
 *
 * Environment: BENCH_N (20), BENCH_CI_SECONDS (1), BENCH_AGENT_SECONDS (1),
 * BENCH_CONFLICT_SHARE (0.1). Prints a table; writes bench/results/queue.json.
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
import type { ReviewFact } from '../src/mergeQueue/reviews.js';

const N = Number(process.env.BENCH_N ?? 20);
const ciSeconds = Number(process.env.BENCH_CI_SECONDS ?? 1);
const agentSeconds = Number(process.env.BENCH_AGENT_SECONDS ?? 1);
const conflictShare = Number(process.env.BENCH_CONFLICT_SHARE ?? 0.1);

const target = { installationId: 1, owner: 'bench', repo: 'repo' };
const identity = { name: 'factory[bot]', email: 'bot@example.com' };
/** Seconds spent waiting on simulated CI and agents (the rest of the wall time is git and bookkeeping). */
let waited = 0;
const sleep = (seconds: number) => {
  waited += seconds;
  return new Promise((resolve) => setTimeout(resolve, seconds * 1000));
};
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
  conflictResolutions: number;
  rebaseRequests: number;
  workerRebases: number;
  appUpdates: number;
}

/** A repository with N open PRs, each on its own branch, and a simulated CI and GitHub. */
class Bench {
  root = mkdtempSync(path.join(os.tmpdir(), 'factory-bench-queue-'));
  bare = path.join(this.root, 'repo.git');
  git: MergeQueueGit;
  counters: Counters = {
    ciRuns: 0,
    reviews: 0,
    conflictResolutions: 0,
    rebaseRequests: 0,
    workerRebases: 0,
    appUpdates: 0,
  };
  private ciStarted = new Map<string, number>();
  reviews = new Map<number, { id: number; sha: string }[]>();
  merged: number[] = [];
  /** Something was pushed or merged since the mirror was last fetched. */
  remoteChanged = true;

  constructor(conflicting: Set<number>) {
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
    this.git = createMergeQueueGit(
      { env: { WORKTREE_DIR: path.join(this.root, 'worktrees') }, github },
      {
        remote: () => Promise.resolve({ url: this.bare }),
        identity: () => Promise.resolve(identity),
      },
    );
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
    if (started === undefined) return ciSeconds;
    return Math.max(0, ciSeconds - (Date.now() - started) / 1000);
  }

  startClock() {
    for (let i = 0; i < N; i += 1) this.startCi(this.headSha(i));
  }

  /** The supervisor agent reviews (and approves) the head commit. */
  async review(i: number, sha: string) {
    this.counters.reviews += 1;
    await sleep(agentSeconds);
    const list = this.reviews.get(i) ?? [];
    list.push({ id: list.length + 1, sha });
    this.reviews.set(i, list);
  }

  /** GitHub's merge: only of a head that contains the base (the guarantee under test), squashed. */
  merge(i: number, sha: string) {
    const base = this.baseSha();
    git(this.bare, 'merge-base', '--is-ancestor', base, sha);
    if (this.ciRemaining(sha) > 0) throw new Error(`PR ${i} merged before its checks finished`);
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
    this.remoteChanged = true;
  }

  /**
   * A worker agent round trip: in the task's worktree, rebase onto the base
   * and resolve any conflict by keeping both sides, then push.
   */
  async workerRebase(i: number): Promise<string> {
    await sleep(agentSeconds);
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
    this.remoteChanged = true;
    return sha;
  }

  finalTree() {
    return git(this.bare, 'rev-parse', 'main^{tree}');
  }

  close() {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Factory's queue: the app's own `nextStep`, step by step, for each head PR in order. */
async function runQueue(bench: Bench) {
  for (let i = 0; i < N; i += 1) {
    let conflictOnBaseSha: string | null = null;
    let reworkRounds = 0;
    let taskState: 'REVIEW' | 'IN_PROGRESS' = 'REVIEW';
    for (let guard = 0; guard < 50; guard += 1) {
      // The app fetches on every look; here only when the remote changed (the same facts, less load).
      if (bench.remoteChanged) await bench.git.refresh(target);
      bench.remoteChanged = false;
      const headSha = bench.headSha(i);
      const baseSha = bench.baseSha();
      const facts: HeadPrFacts = {
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
        task: { state: taskState },
        entry: { reworkRounds, conflictOnBaseSha },
        base: { sha: baseSha, headIsUpToDate: await bench.git.contains(target, headSha, baseSha) },
        reviews: await reviewFacts(bench, i, headSha),
        checks: {
          checkRuns: [
            bench.ciRemaining(headSha) > 0
              ? { id: 1, name: 'ci', status: 'in_progress', conclusion: null }
              : { id: 1, name: 'ci', status: 'completed', conclusion: 'success' },
          ],
          statuses: [],
          noChecksGraceExpired: true,
        },
        config: { ...defaultRepoConfig, requiredChecks: 'all' },
        epic: { paused: false },
      };
      const step = nextStep(facts);
      if (step.kind === 'merge') {
        bench.merge(i, step.sha);
        break;
      }
      if (step.kind === 'review') await bench.review(i, step.sha);
      else if (step.kind === 'wait' && step.for === 'checks')
        await sleep(bench.ciRemaining(headSha));
      else if (step.kind === 'update-branch') {
        bench.counters.appUpdates += 1;
        const outcome = await bench.git.updateBranch(bench.branchTarget(i), step.method, headSha);
        if (outcome.outcome === 'conflict') conflictOnBaseSha = step.baseSha;
        if (outcome.outcome === 'updated') bench.startCi(outcome.headSha);
        bench.remoteChanged = true;
      } else if (step.kind === 'send-back' && step.because === 'conflict') {
        reworkRounds = step.round;
        conflictOnBaseSha = null;
        taskState = 'IN_PROGRESS';
        bench.counters.conflictResolutions += 1;
        await bench.workerRebase(i);
        taskState = 'REVIEW';
      } else throw new Error(`Unexpected step for PR ${i}: ${JSON.stringify(step)}`);
    }
  }
}

async function reviewFacts(bench: Bench, i: number, headSha: string): Promise<ReviewFact[]> {
  return Promise.all(
    (bench.reviews.get(i) ?? []).map(async (review) => ({
      id: review.id,
      reviewer: identity.name,
      byApp: true,
      trusted: false,
      state: 'APPROVED' as const,
      commitSha: review.sha,
      coversHead:
        review.sha === headSha || (await bench.git.samePatch(target, 'main', review.sha, headSha)),
    })),
  );
}

/** The seed: after every merge the supervisor asks the next PR's worker to rebase; then it reviews. */
async function runSeed(bench: Bench) {
  for (let i = 0; i < N; i += 1) {
    await bench.git.refresh(target);
    let headSha = bench.headSha(i);
    if (!(await bench.git.contains(target, headSha, bench.baseSha()))) {
      bench.counters.rebaseRequests += 1;
      await sleep(agentSeconds); // the supervisor agent decides and mails the worker
      bench.counters.workerRebases += 1;
      headSha = await bench.workerRebase(i);
    }
    await bench.review(i, headSha); // CI runs meanwhile
    await sleep(bench.ciRemaining(headSha));
    bench.merge(i, headSha);
  }
}

async function measure(
  name: string,
  conflicting: Set<number>,
  run: (bench: Bench) => Promise<void>,
) {
  const bench = new Bench(conflicting);
  try {
    bench.startClock();
    waited = 0;
    const started = Date.now();
    await run(bench);
    const wallSeconds = (Date.now() - started) / 1000;
    const c = bench.counters;
    const inOrder = bench.merged.every((pr, index) => pr === index) && bench.merged.length === N;
    if (!inOrder) throw new Error(`${name}: PRs landed out of order: ${bench.merged.join(',')}`);
    return {
      policy: name,
      wallSeconds: Number(wallSeconds.toFixed(2)),
      waitedOnCiAndAgentsSeconds: Number(waited.toFixed(2)),
      gitAndOverheadSeconds: Number((wallSeconds - waited).toFixed(2)),
      ciRuns: c.ciRuns,
      agentRoundTrips: c.reviews + c.conflictResolutions + c.rebaseRequests + c.workerRebases,
      breakdown: {
        reviews: c.reviews,
        conflictResolutions: c.conflictResolutions,
        rebaseRequests: c.rebaseRequests,
        workerRebases: c.workerRebases,
        appUpdatesWithGit: c.appUpdates,
      },
      landed: bench.merged.length,
      finalTree: bench.finalTree(),
    };
  } finally {
    bench.close();
  }
}

async function main() {
  const conflicting = conflictingPrs();
  console.log(
    `bench:queue — N=${N} PRs, CI ${ciSeconds}s per commit, agent round trip ${agentSeconds}s, conflicting share ${conflictShare} (PRs ${[...conflicting].join(', ') || 'none'})`,
  );
  const queue = await measure('queue', conflicting, runQueue);
  const seed = await measure('seed', conflicting, runSeed);
  if (queue.finalTree !== seed.finalTree)
    throw new Error('The two policies landed different trees');
  const ratios = {
    wallTime: Number((queue.wallSeconds / seed.wallSeconds).toFixed(3)),
    agentRoundTrips: Number((queue.agentRoundTrips / seed.agentRoundTrips).toFixed(3)),
    ciRuns: Number((queue.ciRuns / seed.ciRuns).toFixed(3)),
  };
  const targets = { wallTime: 0.5, agentRoundTrips: 0.3 };
  const row = (r: typeof queue) =>
    `${r.policy.padEnd(6)} ${String(r.wallSeconds).padStart(8)}s ${String(r.ciRuns).padStart(8)} ${String(r.agentRoundTrips).padStart(12)}   ${JSON.stringify(r.breakdown)}`;
  console.log(`policy     wall  CI runs  agent trips   breakdown`);
  console.log(row(queue));
  console.log(row(seed));
  console.log(
    `queue/seed: wall ${ratios.wallTime} (target ≤ ${targets.wallTime}), agent round trips ${ratios.agentRoundTrips} (target ≤ ${targets.agentRoundTrips}), CI runs ${ratios.ciRuns}`,
  );
  const results = {
    measuredAt: new Date().toISOString(),
    params: { N, ciSeconds, agentSeconds, conflictShare, conflictingPrs: [...conflicting] },
    machine: { cpus: os.cpus().length, loadAverage1m: Number(os.loadavg()[0]?.toFixed(1)) },
    queue: { ...queue, finalTree: undefined },
    seed: { ...seed, finalTree: undefined },
    ratios,
    targets,
    met: {
      wallTime: ratios.wallTime <= targets.wallTime,
      agentRoundTrips: ratios.agentRoundTrips <= targets.agentRoundTrips,
    },
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
