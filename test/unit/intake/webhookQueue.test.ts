import { pino } from 'pino';
import { Probot } from 'probot';
import { describe, expect, it } from 'vitest';
import { receiveWebhookProcessors } from '../../../src/intake/webhookQueue.js';
import type { JobProcessor } from '../../../src/queues/workers.js';
import { labelEvent } from '../../support/webhooks.js';

const log = pino({ level: 'silent' });

function takeInWith(handler: (name: string, id: string) => Promise<void>) {
  const dispatcher = new Probot({ githubToken: 'unused', log });
  void dispatcher.load((app) => {
    app.on('issues.labeled', (context) => handler(context.name, context.id));
  });
  return receiveWebhookProcessors(dispatcher)['receive-webhook'] as JobProcessor<'receive-webhook'>;
}

const job = {} as Parameters<JobProcessor<'receive-webhook'>>[1];

describe('taking a queued delivery in', () => {
  it('runs the intake handlers on it as if it had come over HTTP', async () => {
    const seen: string[] = [];
    const takeIn = takeInWith(async (name, id) => {
      seen.push(`${name}:${id}`);
    });
    await takeIn(
      { deliveryId: 'delivery-1', event: 'issues', body: labelEvent('labeled', 7, 'factory:epic') },
      job,
    );
    expect(seen).toEqual(['issues:delivery-1']);
  });

  it('fails with the reasons of the handlers that failed, so the retry and the log say why', async () => {
    const takeIn = takeInWith(async () => {
      throw new Error('database unreachable');
    });
    await expect(
      takeIn(
        {
          deliveryId: 'delivery-2',
          event: 'issues',
          body: labelEvent('labeled', 7, 'factory:epic'),
        },
        job,
      ),
    ).rejects.toThrow('Taking in issues delivery delivery-2 failed: database unreachable');
  });
});
