import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/connection.js';
import { IntakeUnavailableError, takeDelivery } from '../../../src/intake/webOutbox.js';
import { QueueUnavailableError } from '../../../src/queues/connection.js';
import type { JobQueues } from '../../../src/queues/producer.js';

const delivery = { deliveryId: 'd-1', event: 'push', body: { ref: 'refs/heads/main' } };

function recordingLog() {
  const lines: { level: number; msg: string }[] = [];
  const log = pino(
    { level: 'info' },
    { write: (line: string) => void lines.push(JSON.parse(line)) },
  );
  return { log, lines };
}

const queues = (enqueue: () => Promise<unknown>) => ({ enqueue }) as unknown as JobQueues;
const redisDown = queues(async () => {
  throw new QueueUnavailableError('Redis at 127.0.0.1:6379 is not reachable');
});
const database = (insert: () => Promise<unknown>) =>
  ({ insert: () => ({ values: () => ({ onConflictDoNothing: insert }) }) }) as unknown as Database;

describe('takeDelivery', () => {
  it('queues the delivery when Redis takes it, and writes nothing to the database', async () => {
    const { log } = recordingLog();
    let written = false;
    const result = await takeDelivery(
      { queues: queues(async () => undefined), db: database(async () => (written = true)), log },
      delivery,
    );
    expect({ result, written }).toEqual({ result: 'queued', written: false });
  });

  it('keeps it in the outbox when Redis is down', async () => {
    const { log, lines } = recordingLog();
    let written = false;
    const result = await takeDelivery(
      { queues: redisDown, db: database(async () => (written = true)), log },
      delivery,
    );
    expect({ result, written }).toEqual({ result: 'outbox', written: true });
    expect(lines.map((line) => line.msg)).toEqual([expect.stringContaining('kept in the outbox')]);
  });

  it('answers 503 with one error line when the database cannot keep it either', async () => {
    const { log, lines } = recordingLog();
    const error = await takeDelivery(
      {
        queues: redisDown,
        db: database(async () => {
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
            code: 'ECONNREFUSED',
          });
        }),
        log,
      },
      delivery,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntakeUnavailableError);
    expect((error as IntakeUnavailableError).status).toBe(503);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.level).toBe(50);
    expect(lines[0]?.msg).toMatch(/503: neither Redis nor the database/);
  });

  it('does not hide an error that is not Redis being away (a payload the queue refuses)', async () => {
    const { log } = recordingLog();
    const bad = queues(async () => {
      throw new Error('Invalid payload');
    });
    await expect(
      takeDelivery({ queues: bad, db: database(async () => undefined), log }, delivery),
    ).rejects.toThrow('Invalid payload');
  });
});

describe('the web process when both stores are down', () => {
  it('answers GitHub 503 (not 500), so the delivery shows as failed and can be redelivered', async () => {
    const { Probot, Server } = await import('probot');
    const { createWebhookQueueApp } = await import('../../../src/intake/webhookQueue.js');
    const { freePort, postWebhook, testAppPrivateKey } =
      await import('../../support/signedWebhook.js');
    const { labelEvent } = await import('../../support/webhooks.js');
    const silent = pino({ level: 'silent' });
    const secret = 's3cret';
    const server = new Server({
      Probot: Probot.defaults({ appId: 1, privateKey: testAppPrivateKey(), secret, log: silent }),
      port: await freePort(),
      host: '127.0.0.1',
      log: silent,
      enableStaticFiles: false,
    });
    const db = database(async () => {
      throw new Error('Connection terminated unexpectedly');
    });
    await server.load(createWebhookQueueApp({ queues: redisDown, db, log: silent }));
    await server.start();
    try {
      const sent = await postWebhook(
        `http://127.0.0.1:${server.port}/api/github/webhooks`,
        secret,
        'issues',
        labelEvent('labeled', 7, 'factory:epic'),
      );
      expect(sent.status).toBe(503);
    } finally {
      await server.stop();
    }
  });
});
