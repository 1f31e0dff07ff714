import nock from 'nock';
import { ProbotOctokit } from 'probot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../../src/db/connection.js';
import { listDecisions, recordDecision } from '../../../src/db/decisions.js';
import { redactWrites } from '../../../src/github/redactWrites.js';
import { createLogger } from '../../../src/logger.js';
import { secrets } from '../../../src/secrets/registry.js';
import { redactSecrets } from '../../../src/web/redact.js';

/** Every edge where the app writes text redacts the secret values the registry holds. */

const secret = 'canary-edge-secret-3c9d1e';
let handle: DatabaseHandle;

beforeAll(async () => {
  secrets.add(secret);
  nock.disableNetConnect();
  handle = await openDatabase({ dataDir: 'memory://' });
});

afterAll(async () => {
  secrets.remove(secret);
  nock.cleanAll();
  nock.enableNetConnect();
  await handle.close();
});

describe('the edges', { timeout: 60_000 }, () => {
  it('GitHub writes carry no secret, reads are sent as they are', async () => {
    const Octokit = ProbotOctokit.defaults({
      retry: { enabled: false },
      throttle: { enabled: false },
    }).plugin(redactWrites);
    const octokit = new Octokit({ auth: { token: 'test' } });
    const bodies: unknown[] = [];
    nock('https://api.github.com')
      .post('/repos/acme/app/issues/1/comments', (body: unknown) => {
        bodies.push(body);
        return true;
      })
      .reply(201, { id: 1 })
      .patch('/repos/acme/app/check-runs/5', (body: unknown) => {
        bodies.push(body);
        return true;
      })
      .reply(200, {})
      .get('/repos/acme/app/issues')
      .query({ labels: secret })
      .reply(200, []);
    await octokit.rest.issues.createComment({
      owner: 'acme',
      repo: 'app',
      issue_number: 1,
      body: `test output:\nWEBHOOK_SECRET=${secret}`,
    });
    await octokit.rest.checks.update({
      owner: 'acme',
      repo: 'app',
      check_run_id: 5,
      output: { title: 't', summary: `s ${secret}` },
    });
    await octokit.rest.issues.listForRepo({ owner: 'acme', repo: 'app', labels: secret });
    expect(bodies).toHaveLength(2);
    expect(JSON.stringify(bodies)).not.toContain(secret);
    expect(JSON.stringify(bodies)).toContain('WEBHOOK_SECRET=[redacted]');
    expect(nock.isDone()).toBe(true);
  });

  it('log lines carry no secret, in the message, a field or an error', () => {
    const lines: string[] = [];
    const log = createLogger('info', 'test', { write: (line: string) => void lines.push(line) });
    log.info({ output: `env ${secret}` }, `saw ${secret}`);
    log.error({ err: new Error(`failed with ${secret}`) }, 'boom');
    expect(lines).toHaveLength(2);
    expect(lines.join('')).not.toContain(secret);
    expect(lines.join('')).toContain('[redacted]');
  });

  it('database rows carry no secret', async () => {
    await recordDecision(handle.db, {
      decision: `decided ${secret}`,
      reasoning: `because ${secret}`,
      context: { output: secret },
    });
    const rows = await listDecisions(handle.db, {});
    expect(JSON.stringify(rows)).not.toContain(secret);
    expect(rows.at(-1)?.decision).toBe('decided [redacted]');
  });

  it('the status page’s text carries no secret', () => {
    expect(redactSecrets(`error: ${secret}`)).toBe('error: [redacted]');
  });
});
