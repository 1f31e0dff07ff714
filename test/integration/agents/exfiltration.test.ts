import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactWrites } from '../../../src/github/redactWrites.js';
import { listTasksOfEpic } from '../../../src/db/tasks.js';
import { createLogger } from '../../../src/logger.js';
import { registerAppSecrets, SecretRegistry, secrets } from '../../../src/secrets/registry.js';
import { FakeAgentRunner } from '../../support/flow/fakeAgentRunner.js';
import { createFlowHarness, waitFor, type FlowHarness } from '../../support/flow/flowHarness.js';
import { TestProbotOctokit } from '../../support/probotOctokit.js';

/**
 * Exfiltration through a test's output: a hostile test command prints `env`,
 * the app's process environment and a secret value it was handed, and fails,
 * so the app posts its output on the task's issue. Nothing of the app's
 * secrets reached the jailed command (env, /proc); the value that did reach
 * its output is redacted at every edge. Checked across every GitHub write,
 * every log line and every text column of every database row.
 */

const canaries = {
  WEBHOOK_SECRET: `canary-webhook-${process.pid}-a1`,
  ANTHROPIC_API_KEY: `canary-model-key-${process.pid}-b2`,
  STATUS_PAGE_TOKEN: `canary-status-${process.pid}-c3`,
  DATABASE_URL: `postgres://factory:canary-dbpw-${process.pid}-d4@127.0.0.1:1/none`,
};
const values = [
  canaries.WEBHOOK_SECRET,
  canaries.ANTHROPIC_API_KEY,
  canaries.STATUS_PAGE_TOKEN,
  `canary-dbpw-${process.pid}-d4`,
];
const onePlan = {
  summary: 'One task.',
  tasks: [
    { key: 'leak', title: 'Leak', description: 'x', acceptanceCriteria: ['x'], dependsOn: [] },
  ],
};
const ref = { installationId: 1, owner: 'acme', repo: 'app' };
const lines: string[] = [];
const saved = { ...process.env };

describe('a hostile test command', { timeout: 240_000 }, () => {
  let harness: FlowHarness;
  const registered = new SecretRegistry();

  beforeAll(async () => {
    // The app holds these: in its environment, and registered as start-up does.
    Object.assign(process.env, {
      WEBHOOK_SECRET: canaries.WEBHOOK_SECRET,
      ANTHROPIC_API_KEY: canaries.ANTHROPIC_API_KEY,
      STATUS_PAGE_TOKEN: canaries.STATUS_PAGE_TOKEN,
      FACTORY_CANARY_DB: canaries.DATABASE_URL,
    });
    registerAppSecrets(canaries);
    registerAppSecrets(canaries, undefined, registered);
    const test = [
      'env',
      'cat /proc/1/environ',
      `cat /proc/${process.pid}/environ`,
      // A value that reached the command some other way (a file in the repository, say).
      `echo "found ${canaries.WEBHOOK_SECRET}"`,
      'exit 1',
    ].join('; ');
    harness = await createFlowHarness({
      agents: new FakeAgentRunner(onePlan),
      config: [`test: '${test}'`, 'maxAttempts: 1', 'maxTestRounds: 1'].join('\n'),
      log: createLogger('debug', 'factory', { write: (line: string) => void lines.push(line) }),
      octokit: TestProbotOctokit.plugin(redactWrites),
    });
    harness.startWorkers();
  });

  afterAll(async () => {
    await harness?.close();
    process.env = saved;
    for (const value of Object.values(canaries)) secrets.remove(value);
    secrets.remove(`canary-dbpw-${process.pid}-d4`);
  });

  it('gets its failing output posted with no secret in it, nor in any log line or row', async () => {
    const epic = await harness.createEpic('Leak', 'Print what you can.');
    await harness.deps.queues.enqueue(
      'plan-epic',
      { epicId: epic.id, ...ref },
      { jobId: `plan-${epic.id}` },
    );
    const task = await waitFor(
      'the task to fail',
      async () => {
        const [row] = await listTasksOfEpic(harness.deps.db, epic.id);
        return row?.state === 'FAILED' && row;
      },
      180_000,
    );
    const comment = await waitFor('the failure comment', async () =>
      harness.github.commentsOn(task.issueNumber).find((c) => c.body.includes('found')),
    );
    // The command ran and its output was posted; the value it printed is not there.
    expect(comment.body).toContain('found [redacted]');
    expect(comment.body).toContain('CI=true');

    const writes = JSON.stringify(harness.github.sentWrites);
    expect(harness.github.sentWrites.length).toBeGreaterThan(0);
    const logged = lines.join('\n');
    expect(lines.length).toBeGreaterThan(0);
    const rows = await allText(harness);
    for (const value of values) {
      expect(writes, 'GitHub writes').not.toContain(value);
      expect(logged, 'log lines').not.toContain(value);
      expect(rows, 'database rows').not.toContain(value);
    }
    // The scans see the output itself (they would have seen the value): it is there, redacted.
    expect(writes).toContain('found [redacted]');
    expect(rows).toContain('found [redacted]');
    expect(registered.redact(`x ${canaries.WEBHOOK_SECRET}`)).toBe('x [redacted]');
  });
});

/** Every row of every table of the app's schema, as text. */
async function allText(harness: FlowHarness): Promise<string> {
  const rowsOf = async (query: ReturnType<typeof sql.raw>) =>
    ((await harness.deps.db.execute(query)) as unknown as { rows: Record<string, unknown>[] }).rows;
  const tables = await rowsOf(
    sql.raw(`select table_name from information_schema.tables where table_schema = 'public'`),
  );
  const out: string[] = [];
  for (const { table_name: table } of tables) {
    const rows = await rowsOf(sql.raw(`select t::text as row from "${String(table)}" t`));
    out.push(...rows.map((row) => String(row.row)));
  }
  return out.join('\n');
}
