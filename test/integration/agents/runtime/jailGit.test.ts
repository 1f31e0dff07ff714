import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJail } from '../../../../src/agents/runtime/jail/jail.js';
import { createAgentRunner } from '../../../../src/agents/runtime/runner.js';
import { runCommand } from '../../../../src/agents/worker/commands.js';
import type { DatabaseHandle } from '../../../../src/db/connection.js';
import { agents } from '../../../../src/db/schema.js';
import {
  botIdentity,
  commitAll,
  ensureMirror,
  ensureTaskWorktree,
  pushTaskBranch,
  runGit,
  taskWorktreePath,
} from '../../../../src/git/index.js';
import { createTestDatabase } from '../../../support/database.js';
import { createBareRemote } from '../../../support/git/localRemote.js';
import {
  match,
  startScriptedModel,
  turn,
  type ScriptedModel,
} from '../../../support/scriptedModel/index.js';

/**
 * Git in the jail: the agent's own git works (status, diff, log, its own
 * commits) in a view of its own, and what a hostile worker plants there —
 * filters, hooks, fsmonitor, drivers, in every config it can reach — is never
 * run by the app's add, commit, push and diff afterwards. The planted
 * commands would write into a folder on the host: the jail cannot reach it,
 * the app could, so any file there means the app ran one.
 */

const secret = `CANARY-${process.pid}-GIT-SECRET`;
const logLines: string[] = [];
const log = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
const identity = botIdentity('factory-app[bot]', 4242);

let scratch: string;
let bare: string;
let canaries: string;
let model: ScriptedModel;
let database: DatabaseHandle;
const place = () => ({ root: path.join(scratch, 'worktrees'), owner: 'acme', repo: 'widgets' });

function cleanGit(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
  });
}

async function taskWorktree(taskIssue: number) {
  const mirror = await ensureMirror(place(), { url: bare });
  const worktree = await ensureTaskWorktree({
    mirror,
    path: taskWorktreePath(place(), 1, taskIssue),
    branch: `factory/1-${taskIssue}-work`,
    baseBranch: 'main',
  });
  return { mirror, worktree: worktree.path, branch: worktree.branch };
}

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'factory-jail-git-'));
  canaries = path.join(scratch, 'canaries');
  mkdirSync(canaries);
  bare = createBareRemote(scratch, 'widgets', { 'README.md': '# widgets\n' });
  [model, database] = await Promise.all([startScriptedModel(), createTestDatabase('postgres')]);
});

afterAll(async () => {
  for (const name of ['WEBHOOK_SECRET', 'PRIVATE_KEY']) delete process.env[name];
  await model?.close();
  await database?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('the agent’s git in the jail', { timeout: 180_000 }, () => {
  it('has status, diff, log and commits of its own, and no view of the app’s git', async () => {
    const { mirror, worktree } = await taskWorktree(2);
    const jail = createJail({ mode: 'on', log });
    const script = [
      'git status --short --branch',
      'echo hello > greeting.txt',
      'git add greeting.txt',
      'git commit -qm "agent commit" && echo COMMITTED',
      'git log --format=%s -2',
      'git diff --stat HEAD~1',
      'git log --oneline -1 refs/remotes/origin/main',
      `cat ${mirror}/config || echo NO-MIRROR-CONFIG`,
      `ls ${mirror}/worktrees || echo NO-ADMIN-DIR`,
      `echo x > ${mirror}/objects/planted || echo OBJECTS-READ-ONLY`,
    ].join('; ');
    const result = await runCommand(script, 'test', {
      cwd: worktree,
      env: { PATH: '/usr/bin:/bin' },
      timeoutMs: 60_000,
      jail,
    });
    expect(result.output).toContain('## factory/1-2-work');
    expect(result.output).toContain('COMMITTED');
    expect(result.output).toMatch(/agent commit\nInitial commit/);
    expect(result.output).toContain('greeting.txt | 1 +');
    expect(result.output).toContain('NO-MIRROR-CONFIG');
    expect(result.output).toContain('NO-ADMIN-DIR');
    expect(result.output).toContain('OBJECTS-READ-ONLY');

    // The app takes the work as files, in its own git directory, on its own terms.
    const commit = await commitAll(worktree, identity, 'Add greeting');
    expect(commit.committed).toBe(true);
    expect(
      (await runGit(['show', '--format=%an', '--name-only', 'HEAD'], { cwd: worktree })).trim(),
    ).toBe('factory-app[bot]\n\ngreeting.txt');
  });
});

describe(
  'a hostile worker planting git config through the real engine',
  { timeout: 300_000 },
  () => {
    it('gets none of its plants run by the app’s commit, push and diff, and no secret is pushed', async () => {
      const { mirror, worktree, branch } = await taskWorktree(3);
      const mark = (name: string) => `sh -c 'env > ${canaries}/${name}; cat'`;
      const hook = (name: string) =>
        `h="$(git rev-parse --git-dir)/hooks/${name}"; printf '#!/bin/sh\\nenv > ${canaries}/hook-${name}\\n' > "$h"; chmod +x "$h"`;
      const plants = [
        `git config filter.x.clean "${mark('filter-clean')}"`,
        `git config filter.x.smudge "${mark('filter-smudge')}"`,
        `git config --global filter.x.clean "${mark('global-filter-clean')}"`,
        `git config core.fsmonitor "${mark('fsmonitor')}"`,
        `git config --global core.hooksPath "$HOME/hooks"`,
        `git config diff.x.textconv "${mark('textconv')}"`,
        `git config diff.external "${mark('diff-external')}"`,
        `git config merge.x.driver "${mark('merge-driver')}"`,
        `git config core.sshCommand "${mark('ssh')}"`,
        `git config core.pager "${mark('pager')}"`,
        `git config include.path "$HOME/.evil"`,
        `printf '* filter=x diff=x merge=x\\n' > .gitattributes`,
        ...['pre-commit', 'post-commit', 'pre-push', 'post-checkout', 'reference-transaction'].map(
          hook,
        ),
        // The mirror's config is not in the jail: whatever this writes, the host's stays the app's.
        `git config --file ${mirror}/config filter.x.clean "${mark('mirror-filter')}"`,
        'echo loot > loot.txt; env >> loot.txt',
        'git add -A && git commit -qm hostile && echo AGENT-COMMITTED',
      ];
      model.script(match.promptIncludes('TASK-GIT-HOSTILE'), [
        // Written so the shell guard cannot read it: the jail and the app's git must hold.
        turn.toolUse('Bash', {
          command: `echo ${Buffer.from(plants.join('\n')).toString('base64')} | base64 -d | sh 2>&1`,
        }),
        turn.text('done'),
      ]);
      const [row] = await database.db
        .insert(agents)
        .values({ kind: 'worker' })
        .returning({ id: agents.id });
      const result = await createAgentRunner({
        db: database.db,
        log,
        model: { apiKey: `sk-${secret}`, baseUrl: model.url },
        env: { ...process.env, IS_SANDBOX: '1' },
        timeoutMs: 170_000,
        maxTurns: 10,
        heartbeatIntervalMs: 0,
        engineRetries: 0,
        retry: { attempts: 1, baseDelayMs: 10 },
        agentHome: path.join(scratch, 'agent-home'),
      }).run({
        role: 'worker',
        agentId: row!.id,
        purpose: 'implement',
        cwd: worktree,
        systemPrompt: 'You are the worker.',
        prompt: 'Do TASK-GIT-HOSTILE.',
        model: 'claude-sonnet-4-5',
        context: {},
      });
      expect(result.status).toBe('succeeded');
      const output = model
        .messageRequests()
        .filter((r) => r.view.promptText.includes('TASK-GIT-HOSTILE'))
        .flatMap((r) => r.view.toolResults)
        .map((r) => r.content)
        .join('\n');
      expect(output).not.toContain('hooks/pre-commit: No such file');
      expect(output).toContain('AGENT-COMMITTED');

      // The app, holding its secrets, takes the work: add, commit, push, diff.
      Object.assign(process.env, { WEBHOOK_SECRET: secret, PRIVATE_KEY: `key-${secret}` });
      const commit = await commitAll(worktree, identity, 'Hostile work');
      expect(commit.committed).toBe(true);
      await pushTaskBranch({
        gitDir: worktree,
        branch,
        taskBranch: branch,
        prefix: 'factory',
        remote: { url: bare },
      });
      await runGit(['diff', '--no-ext-diff', '--no-textconv', 'refs/remotes/origin/main', 'HEAD'], {
        cwd: worktree,
      });

      expect(readdirSync(canaries)).toEqual([]);
      const pushed = cleanGit(bare, 'show', `${branch}:loot.txt`);
      expect(pushed.startsWith('loot\n')).toBe(true);
      expect(pushed).not.toContain(secret);
      expect(cleanGit(bare, 'show', `${branch}:.gitattributes`)).toBe(
        '* filter=x diff=x merge=x\n',
      );
      expect(readFileSync(path.join(mirror, 'config'), 'utf8')).not.toContain('filter');
      expect(logLines.join('\n')).not.toContain(secret);
    });
  },
);
