/**
 * `npm run bench:task`: what one task costs apart from the model — mirror
 * fetch, worktree, commit, push and the PR — on a generated repository of
 * 20,000 files, next to the raw git commands alone (`git worktree add`,
 * `git commit`, `git push`) in the same run. Prints both, the ratio, and
 * writes bench/results/task.json. Target: ratio ≤ 1.3.
 *
 * GitHub's REST API is a local HTTP server answering the two PR calls, so the
 * figure holds Factory's own work, not the network's.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Octokit } from '@octokit/rest';
import { ensurePullRequest } from '../src/agents/worker/pullRequest.js';
import { botIdentity, commitAll, commitsAhead } from '../src/git/commit.js';
import { taskWorktreePath } from '../src/git/layout.js';
import { ensureMirror } from '../src/git/mirror.js';
import { pushTaskBranch } from '../src/git/push.js';
import { ensureTaskWorktree } from '../src/git/worktree.js';
import type { GitHub } from '../src/github/octokit.js';

const fileCount = Number(process.env.BENCH_FILES ?? 20_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
}

function generateRemote(root: string): string {
  const work = path.join(root, 'seed');
  mkdirSync(work, { recursive: true });
  git(work, 'init', '--quiet', '--initial-branch=main');
  for (let i = 0; i < fileCount; i += 1) {
    const dir = path.join(work, 'src', `module-${Math.floor(i / 100)}`);
    if (i % 100 === 0) mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `file-${i}.ts`), `export const value${i} = ${i};\n`);
  }
  git(work, 'add', '--all');
  git(
    work,
    '-c',
    'user.name=Bench',
    '-c',
    'user.email=bench@example.com',
    'commit',
    '--quiet',
    '-m',
    'Generated',
  );
  const bare = path.join(root, 'remote.git');
  git(root, 'clone', '--quiet', '--bare', work, bare);
  return bare;
}

/** A GitHub stand-in for the two PR calls: list (none open) and create. */
async function startPullApi(): Promise<{ url: string; close(): void }> {
  let next = 1;
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      response.setHeader('content-type', 'application/json; charset=utf-8');
      if (request.method === 'GET') return response.end('[]');
      const input = JSON.parse(body) as { head: string };
      const number = next++;
      response.statusCode = 201;
      response.end(
        JSON.stringify({
          number,
          html_url: `http://pr/${number}`,
          head: { ref: input.head, sha: 'x' },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => server.close(),
  };
}

async function timed(work: () => Promise<void> | void): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function main() {
  const root = mkdtempSync(path.join(os.tmpdir(), 'factory-bench-task-'));
  try {
    console.log(`Generating a repository of ${fileCount} files…`);
    const remote = generateRemote(root);
    const api = await startPullApi();
    const octokit = new Octokit({ baseUrl: api.url }) as unknown as GitHub;
    const place = { root: path.join(root, 'factory'), owner: 'acme', repo: 'app' };
    const credentials = { url: remote };
    const mirror = await ensureMirror(place, credentials); // cloned once, as in production
    const rawMirror = path.join(root, 'raw-mirror.git');
    git(root, 'clone', '--quiet', '--bare', remote, rawMirror);
    const identity = botIdentity('factory-app[bot]', 4242);

    const raw: number[] = [];
    const factory: number[] = [];
    for (let round = 0; round < rounds; round += 1) {
      // Raw git: exactly the three commands, nothing else.
      const rawPath = path.join(root, 'raw', `task-${round}`);
      raw.push(
        await timed(() => {
          git(rawMirror, 'worktree', 'add', '--quiet', '-b', `raw/${round}`, rawPath, 'main');
          writeFileSync(path.join(rawPath, 'change.txt'), `round ${round}\n`);
          git(rawPath, 'add', '--all');
          git(
            rawPath,
            '-c',
            'user.name=b',
            '-c',
            'user.email=b@e',
            'commit',
            '--quiet',
            '-m',
            'change',
          );
          git(rawPath, 'push', '--quiet', remote, `raw/${round}:raw/${round}`);
        }),
      );

      // Factory: fetch, worktree, commit, push with the guard, and the PR.
      const branch = `factory/1-${round}-bench`;
      factory.push(
        await timed(async () => {
          await ensureMirror(place, credentials);
          const worktree = await ensureTaskWorktree({
            mirror,
            path: taskWorktreePath(place, 1, round),
            branch,
            baseBranch: 'main',
          });
          writeFileSync(path.join(worktree.path, 'change.txt'), `round ${round}\n`);
          await commitAll(worktree.path, identity, 'change');
          await commitsAhead(worktree.path, 'main');
          await pushTaskBranch({
            gitDir: worktree.path,
            branch,
            taskBranch: branch,
            prefix: 'factory',
            remote: credentials,
          });
          await ensurePullRequest(octokit, {
            owner: 'acme',
            repo: 'app',
            branch,
            base: 'main',
            title: 't',
            body: 'b',
          });
        }),
      );
      console.log(
        `round ${round + 1}/${rounds}: raw ${raw.at(-1)?.toFixed(0)} ms, factory ${factory.at(-1)?.toFixed(0)} ms`,
      );
    }
    api.close();

    const result = {
      files: fileCount,
      rounds,
      rawGitMs: { median: median(raw), all: raw },
      factoryMs: { median: median(factory), all: factory },
      ratio: median(factory) / median(raw),
      target: 1.3,
      measuredAt: new Date().toISOString(),
    };
    console.log(
      `raw git (worktree add + commit + push): ${result.rawGitMs.median.toFixed(0)} ms (median)`,
    );
    console.log(
      `factory (fetch + worktree + commit + push + PR): ${result.factoryMs.median.toFixed(0)} ms (median)`,
    );
    console.log(`ratio: ${result.ratio.toFixed(2)}× (target ≤ ${result.target}×)`);
    const out = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results', 'task.json');
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`written to ${path.relative(process.cwd(), out)}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
