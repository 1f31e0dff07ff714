import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhooks } from '@octokit/webhooks';

export interface ReceivedWebhook {
  id: string;
  event: string;
  action: string | undefined;
  verified: boolean;
  payload: {
    sender?: { login: string; type: string };
    installation?: { id: number };
    repository?: { full_name: string };
    [key: string]: unknown;
  };
}

/** A stand-in for the app's webhook endpoint that checks each signature as Probot would. */
export async function startWebhookReceiver(secret: string) {
  const webhooks = new Webhooks({ secret });
  const received: ReceivedWebhook[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const signature = String(request.headers['x-hub-signature-256'] ?? '');
      void webhooks.verify(body, signature).then((verified) => {
        const payload = JSON.parse(body) as ReceivedWebhook['payload'];
        received.push({
          id: String(request.headers['x-github-delivery']),
          event: String(request.headers['x-github-event']),
          action: typeof payload.action === 'string' ? payload.action : undefined,
          verified,
          payload,
        });
        response.writeHead(verified ? 200 : 401).end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github/webhooks`;
  return {
    url,
    received,
    of: (event: string, action?: string) =>
      received.filter((r) => r.event === event && (action === undefined || r.action === action)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
