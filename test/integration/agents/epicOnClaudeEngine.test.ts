import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentRunner } from '../../../src/agents/runtime/runner.js';
import { createSubIssues } from '../../../src/agents/supervisor/createSubIssues.js';
import { planEpic } from '../../../src/agents/supervisor/planEpic.js';
import { agentRuns, type Epic } from '../../../src/db/schema.js';
import { listTasksOfEpic } from '../../../src/db/tasks.js';
import {
  createFlowHarness,
  flowToken,
  waitFor,
  type FlowHarness,
} from '../../support/flow/flowHarness.js';
import { commitAuthor, fileAt, remoteBranches } from '../../support/git/localRemote.js';
import {
  match,
  startScriptedModel,
  turn,
  type ModelRequest,
  type ScriptedModel,
} from '../../support/scriptedModel/index.js';

/**
 * The flow of issue #4 on the real Claude Code engine: the supervisor and the
 * workers are the SDK's subprocess talking to the scripted model, so the
 * files on the branches were written by the engine's own Write and Edit
 * tools, the checks ran on them, and what the agent could see is what the
 * engine sent back to the model. Git goes to a local remote over HTTP that
 * demands the installation token; GitHub's REST API is FakeGitHub over nock.
 */

const ref = { installationId: 1, owner: 'acme', repo: 'app' };
const job = { id: 'plan-job', attemptsMade: 0, opts: { attempts: 3 } };
const instructionsMarker = 'Greetings stay lowercase (FLOW-INSTRUCTIONS-7f3a).';

const task = (key: string, title: string, file: string) => ({
  key,
  title,
  description: `Write ${file}.`,
  acceptanceCriteria: [`${file} exists`],
  dependsOn: [],
});
const greetAndPart = {
  summary: 'Two independent files.',
  tasks: [
    task('greeting', 'Add a greeting', 'greeting.txt'),
    task('farewell', 'Add a farewell', 'farewell.txt'),
  ],
};
const breakTheBuild = {
  summary: 'One task that cannot pass.',
  tasks: [task('broken', 'Write the broken file', 'broken.txt')],
};

const worker = match.systemIncludes('# You are a Factory worker');
/** The worktree the agent reported in its first tool call (`printf cwd:…`). */
const cwdOf = (request: ModelRequest) =>
  /cwd:(\/[^"\\\s]+)/.exec(JSON.stringify(request.body.messages))?.[1] ?? '/nowhere';
/** First call: where am I, and what can I see (the environment and git's configuration). */
const lookAround = turn.toolUse('Bash', {
  command: 'printf "cwd:%s\\n" "$PWD"; env; echo "--- git config"; git config --list',
});

function scriptFlow(model: ScriptedModel) {
  for (const [title, plan] of [
    ['Say hello and goodbye', greetAndPart],
    ['Break the build', breakTheBuild],
  ] as const) {
    model.script(
      match.all(match.offersTool('mcp__factory__submit_plan'), match.promptIncludes(title)),
      [turn.factoryTool('submit_plan', plan), turn.text('Planned.')],
    );
  }
  for (const [title, file, first, edited] of [
    ['Add a greeting', 'greeting.txt', 'hello', 'hello, world'],
    ['Add a farewell', 'farewell.txt', 'goodbye', 'goodbye, friend'],
  ] as const) {
    model.script(match.all(worker, match.promptIncludes(title)), [
      lookAround,
      turn.dynamic((request) =>
        turn.toolUse('Write', {
          file_path: path.join(cwdOf(request), file),
          content: `${first}\n`,
        }),
      ),
      turn.dynamic((request) =>
        turn.toolUse('Edit', {
          file_path: path.join(cwdOf(request), file),
          old_string: first,
          new_string: edited,
        }),
      ),
      turn.text(`Added ${file} saying "${edited}".`),
    ]);
  }
  // Each attempt shows what the earlier one left in the worktree, then breaks the check; given
  // the check's output in the same session (turns 2–3), it fails to fix it.
  model.script(match.all(worker, match.promptIncludes('Write the broken file')), [
    turn.toolUse('Bash', {
      command:
        'cat broken.txt 2>/dev/null || echo "no earlier work"; echo "attempt work" >> broken.txt',
    }),
    turn.text('Wrote broken.txt.'),
    turn.toolUse('Bash', { command: 'echo "a fix that is not one" >> broken.txt' }),
    turn.text('I could not make the check pass.'),
  ]);
}

function filesContaining(dir: string, needle: string): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    const stat = statSync(full, { throwIfNoEntry: false });
    if (stat?.isDirectory()) found.push(...filesContaining(full, needle));
    else if (stat?.isFile() && readFileSync(full).includes(needle)) found.push(full);
  }
  return found;
}

describe('an epic on the real Claude Code engine', { timeout: 300_000 }, () => {
  let model: ScriptedModel;
  let harness: FlowHarness;
  let broken: Epic;

  beforeAll(async () => {
    model = await startScriptedModel();
    scriptFlow(model);
    harness = await createFlowHarness({
      agents: ({ db, temp }) =>
        createAgentRunner({
          db,
          log: pino({ level: 'silent' }),
          model: { apiKey: 'sk-scripted', baseUrl: model.url },
          // As if the app's own environment held the push token: the allow-list must keep it out.
          env: { ...process.env, IS_SANDBOX: '1', GITHUB_TOKEN: flowToken },
          agentHome: path.join(temp, 'agent-home'),
          timeoutMs: 170_000,
          maxTurns: 20,
          engineRetries: 0,
          retry: { attempts: 1, baseDelayMs: 10 },
        }),
      files: {
        'README.md': '# app\n',
        'CLAUDE.md': `${instructionsMarker}\n`,
        'check.sh': [
          'if [ -e broken.txt ]; then',
          '  echo "assertion failed: broken.txt must not exist"',
          '  exit 1',
          'fi',
          'echo "all checks passed"',
          '',
        ].join('\n'),
      },
      config: ['test: "sh check.sh"', 'maxAttempts: 2', 'maxTestRounds: 1'].join('\n'),
    });
  }, 120_000);
  afterAll(async () => {
    await harness?.close();
    await model?.close();
  });

  it('plans once with the engine: a retried planning job creates no duplicate sub-issue', async () => {
    broken = await harness.createEpic('Break the build', 'Write the broken file, please.');
    const payload = { epicId: broken.id, ...ref };
    expect(await planEpic(harness.flow, payload, job)).toBe('planned');
    // The job again (redelivered after a crash past the plan), then its sub-issue step twice.
    expect(await planEpic(harness.flow, payload, { ...job, attemptsMade: 1 })).toBe('planned');
    expect(await createSubIssues(harness.flow, payload)).toBe('created');
    expect(await createSubIssues(harness.flow, payload)).toBe('created');

    const planRuns = await harness.deps.db
      .select()
      .from(agentRuns)
      .where(eq(agentRuns.purpose, 'plan'));
    expect(planRuns.map((run) => run.status)).toEqual(['succeeded']);
    // The assembled prompt is recorded with the run: role prompt, repository instructions, epic.
    expect(planRuns[0]?.prompt).toContain("# You are Factory's supervisor");
    expect(planRuns[0]?.prompt).toContain(instructionsMarker);
    expect(planRuns[0]?.prompt).toContain('Write the broken file, please.');
    const planRequests = model
      .messageRequests()
      .filter((r) => r.view.toolNames.includes('mcp__factory__submit_plan'));
    expect(planRequests.filter((r) => r.view.turnIndex === 0)).toHaveLength(1);
    expect(planRequests[0]?.view.system).toContain(instructionsMarker);

    const [only] = await listTasksOfEpic(harness.deps.db, broken.id);
    expect(harness.github.writes.filter((w) => w === 'POST issues')).toHaveLength(1);
    expect(harness.github.issue(broken.issueNumber).subIssues).toEqual([only?.issueNumber]);
  });

  it('turns a 2-task epic into 2 sub-issues, 2 branches with the engine-written changes and 2 PRs', async () => {
    harness.startWorkers();
    const epic = await harness.createEpic('Say hello and goodbye', 'Two files, please.');
    await harness.deps.queues.enqueue(
      'plan-epic',
      { epicId: epic.id, ...ref },
      { jobId: `plan-epic-${epic.id}` },
    );
    const tasks = await waitFor(
      'both tasks in review',
      async () => {
        const rows = await listTasksOfEpic(harness.deps.db, epic.id);
        return rows.length === 2 && rows.every((row) => row.state === 'REVIEW') && rows;
      },
      240_000,
    );

    expect(harness.github.issue(epic.issueNumber).subIssues).toEqual(
      tasks.map((row) => row.issueNumber),
    );
    const expected: Record<string, [string, string]> = {
      'Add a greeting': ['greeting.txt', 'hello, world\n'],
      'Add a farewell': ['farewell.txt', 'goodbye, friend\n'],
    };
    for (const row of tasks) {
      const [file, content] = expected[row.title]!;
      expect(remoteBranches(harness.bare)).toContain(row.branch);
      expect(fileAt(harness.bare, row.branch!, file)).toBe(content);
      expect(commitAuthor(harness.bare, row.branch!)).toBe(
        'factory-app[bot] <4242+factory-app[bot]@users.noreply.github.com>',
      );
      const pull = harness.github.pulls().find((p) => p.pull?.head === row.branch);
      expect(pull?.number).toBe(row.prNumber);
      expect(pull?.body).toContain(`Closes #${row.issueNumber}`);
      expect(pull?.body).toContain(`Added ${file} saying`);
      expect(pull?.body).toContain('`sh check.sh` (test) — passed');
    }
    expect(
      harness.github.pulls().filter((p) => p.pull?.head.includes(`/${epic.issueNumber}-`)),
    ).toHaveLength(2);

    // The engine's own Write and Edit made the change: both calls succeeded in each conversation.
    for (const title of Object.keys(expected)) {
      const finals = model
        .messageRequests()
        .filter((r) => r.view.promptText.includes(title) && r.view.turnIndex === 3);
      expect(finals).toHaveLength(1);
      const previous = model
        .messageRequests()
        .filter((r) => r.view.promptText.includes(title) && r.view.turnIndex >= 2);
      expect(previous.flatMap((r) => r.view.toolResults).map((t) => t.isError)).toEqual([
        false,
        false,
      ]);
    }
    // The worker was told the task with the repository's instructions, and that is on record.
    const implementRuns = await harness.deps.db
      .select()
      .from(agentRuns)
      .where(eq(agentRuns.purpose, 'implement'));
    const greeting = implementRuns.find((run) => run.prompt.includes('Add a greeting'));
    expect(greeting?.prompt).toContain('# You are a Factory worker');
    expect(greeting?.prompt).toContain(instructionsMarker);
    expect(greeting?.prompt).toContain('`sh check.sh`');
  });

  it('gives a failing check back, retries the task on the same worktree, then FAILS it with the reason', async () => {
    const failed = await waitFor(
      'the broken task to fail',
      async () => {
        const [row] = await listTasksOfEpic(harness.deps.db, broken.id);
        return row?.state === 'FAILED' && row;
      },
      240_000,
    );
    expect(failed.attempts).toBe(2);
    expect(failed.failureReason).toContain('`sh check.sh`');
    // The second attempt found the first one's work in the worktree.
    const firstCalls = model
      .messageRequests()
      .filter((r) => worker.test(r.view) && r.view.promptText.includes('Write the broken file'))
      .filter((r) => r.view.turnIndex === 1);
    const seen = firstCalls.map((r) => r.view.lastToolResult?.content.split('\n')[0]);
    expect(seen).toEqual(['no earlier work', 'attempt work']);
    expect(firstCalls[1]?.view.promptText).toContain('This is attempt 2');
    // Within each attempt the failing check's output went back to the agent, in its own session.
    const feedback = model
      .messageRequests()
      .filter((r) => worker.test(r.view) && r.view.promptText.includes('Write the broken file'))
      .filter((r) => r.view.turnIndex === 2);
    expect(feedback).toHaveLength(2);
    for (const request of feedback) {
      expect(request.view.promptText).toContain('The check `sh check.sh` exited 1');
      expect(request.view.promptText).toContain('<untrusted-data source="Output of sh check.sh">');
      expect(request.view.promptText).toContain('assertion failed: broken.txt must not exist');
    }

    const comments = harness.github.commentsOn(failed.issueNumber);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain('Factory could not finish this task');
    expect(comments[0]?.body).toContain(
      'the test command `sh check.sh` still failed after 1 round of fixes',
    );
    expect(comments[0]?.body).toContain('assertion failed: broken.txt must not exist');
    expect(comments[0]?.body).toContain('Tried 2 times (limit 2)');
    expect(harness.github.pulls().some((p) => p.pull?.head === failed.branch)).toBe(false);
    // Still exactly one sub-issue for that epic, whatever ran again meanwhile.
    expect(harness.github.issue(broken.issueNumber).subIssues).toEqual([failed.issueNumber]);
  });

  it('keeps the push token out of the worktree, its git config and the agent environment', async () => {
    // What the agents saw: the results of `env` and `git config --list`, as the next model request carried them.
    const looks = model
      .messageRequests()
      .flatMap((r) => r.view.toolResults)
      .filter((result) => result.content.includes('--- git config'));
    expect(looks).toHaveLength(2);
    for (const look of looks) {
      expect(look.content).toMatch(/^HOME=/m);
      expect(look.content).toMatch(/^remote\.origin\.url=http:\/\/127\.0\.0\.1/m);
      expect(look.content).not.toContain(flowToken);
      expect(look.content).not.toMatch(/^GITHUB_TOKEN=/m);
    }
    for (const request of model.messageRequests())
      expect(JSON.stringify(request.body)).not.toContain(flowToken);

    // The push did use the token, over HTTP only.
    expect(harness.gitServer.authorizations.some((a) => a.startsWith('Basic '))).toBe(true);
    const [anyTask] = await harness.deps.db.query.tasks.findMany();
    const gitConfig = execFileSync('git', ['config', '--list', '--show-origin'], {
      cwd: anyTask!.worktreePath!,
      encoding: 'utf8',
    });
    expect(gitConfig).toContain('remote.origin.url');
    expect(gitConfig).not.toContain(flowToken);
    // No file anywhere: worktrees, mirror, the agents' home with its session transcripts.
    const basic = Buffer.from(`x-access-token:${flowToken}`).toString('base64');
    expect(filesContaining(harness.temp, flowToken)).toEqual([]);
    expect(filesContaining(harness.temp, basic)).toEqual([]);
    expect(filesContaining(path.join(harness.temp, 'agent-home'), 'cwd:').length).toBeGreaterThan(
      0,
    );

    expect(model.messageRequests().filter((r) => r.outcome !== 'reply')).toEqual([]);
  });
});
