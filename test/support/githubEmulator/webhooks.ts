import { createHmac, randomUUID } from 'node:crypto';

export interface Delivery {
  id: string;
  event: string;
  action: string | undefined;
  payload: Record<string, unknown>;
  /** HTTP status the app answered, or null when it could not be reached. */
  status: number | null;
  error?: string;
  deliveredAt?: Date;
}

export interface WebhookSenderOptions {
  secret: string;
  appId: number;
  installationId: number;
  /** Where the app listens; deliveries made while unset (or failing) are kept for `redeliver`. */
  url?: string;
  timeoutMs?: number;
}

/** `X-Hub-Signature-256` as GitHub computes it. */
export function signPayload(secret: string, body: string) {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Delivers webhooks one at a time, in the order the changes happened, as GitHub
 * does for one App; each with a unique delivery id and an HMAC signature.
 */
export class WebhookSender {
  readonly deliveries: Delivery[] = [];
  private chain: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<(delivery: Delivery) => void>();

  constructor(private readonly options: WebhookSenderOptions) {}

  set url(url: string | undefined) {
    this.options.url = url;
  }

  get url() {
    return this.options.url;
  }

  send(event: string, payload: Record<string, unknown>): Delivery {
    const delivery: Delivery = {
      id: randomUUID(),
      event,
      action: typeof payload.action === 'string' ? payload.action : undefined,
      payload,
      status: null,
    };
    this.deliveries.push(delivery);
    this.enqueue(delivery);
    return delivery;
  }

  /** Sends a delivery again with the same id, as GitHub's "Redeliver" button does. */
  redeliver(id: string): Delivery {
    const delivery = this.deliveries.find((d) => d.id === id);
    if (!delivery) throw new Error(`No delivery ${id}`);
    this.enqueue(delivery);
    return delivery;
  }

  /** Every delivery the app did not accept (down, or answered an error). */
  failed(): Delivery[] {
    return this.deliveries.filter((d) => d.status === null || d.status >= 400);
  }

  /** Resolves when every delivery sent so far has been attempted. */
  settled(): Promise<void> {
    return this.chain;
  }

  onDelivery(listener: (delivery: Delivery) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private enqueue(delivery: Delivery) {
    this.chain = this.chain.then(() => this.post(delivery));
  }

  private async post(delivery: Delivery): Promise<void> {
    const url = this.options.url;
    if (!url) {
      delivery.status = null;
      delivery.error = 'no webhook URL';
      return;
    }
    const body = JSON.stringify(delivery.payload);
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'GitHub-Hookshot/emulator',
          'x-github-event': delivery.event,
          'x-github-delivery': delivery.id,
          'x-github-hook-id': '1',
          'x-github-hook-installation-target-type': 'integration',
          'x-github-hook-installation-target-id': String(this.options.appId),
          'x-hub-signature-256': signPayload(this.options.secret, body),
          'x-hub-signature': `sha1=${createHmac('sha1', this.options.secret).update(body).digest('hex')}`,
        },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
      await response.arrayBuffer();
      delivery.status = response.status;
      delivery.error = response.ok ? undefined : `answered ${response.status}`;
    } catch (error) {
      delivery.status = null;
      delivery.error = error instanceof Error ? error.message : String(error);
    }
    delivery.deliveredAt = new Date();
    for (const listener of this.listeners) listener(delivery);
  }
}
