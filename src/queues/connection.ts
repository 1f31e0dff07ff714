import { Redis, type RedisOptions } from 'ioredis';

/**
 * Two kinds of Redis connection, as BullMQ advises: producers fail fast when
 * Redis is down (no offline queue, few retries) so a webhook is answered with
 * an error at once (GitHub's delivery log shows it and can redeliver it), while workers wait for Redis forever
 * (`maxRetriesPerRequest: null`) so a restart of Redis does not kill them.
 */
export function producerConnection(redisUrl: string): Redis {
  const redis = new Redis(redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    lazyConnect: false,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  } satisfies RedisOptions);
  // While Redis is down every reconnect attempt errors. Enqueueing reports that
  // (QueueUnavailableError) and so does /factory/healthz; without a listener
  // ioredis would also print each attempt to stderr.
  redis.on('error', () => undefined);
  return redis;
}

export function workerConnection(redisUrl: string): Redis {
  return new Redis(redisUrl, { maxRetriesPerRequest: null, enableReadyCheck: true });
}

export class QueueUnavailableError extends Error {
  override name = 'QueueUnavailableError';
}
