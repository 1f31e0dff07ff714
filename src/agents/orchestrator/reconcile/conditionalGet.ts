import type { ProbotOctokit } from 'probot';
import type { JobQueues } from '../../../queues/producer.js';

/** Where ETags (with the answers they stand for) and the pass cursor are kept: Redis, shared by every process. */
export interface ReconcileStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
}

export function redisReconcileStore(queues: JobQueues, ttlSeconds = 7 * 24 * 3600): ReconcileStore {
  const queue = queues.queue('orchestrator');
  const keyOf = (key: string) => `${queues.prefix}:orchestrator:reconcile:${key}`;
  return {
    async get(key) {
      return (await queue.getBackend().client).get(keyOf(key));
    },
    async set(key, value) {
      await (await queue.getBackend().client).set(keyOf(key), value, { EX: ttlSeconds });
    },
  };
}

export type Fetched<T> = { value: T; from: 'github' | 'cache' } | { value: 'gone'; from: 'github' };

/**
 * A GET that costs nothing when nothing changed: the ETag of the last answer
 * goes in `If-None-Match`, and GitHub's 304 (which does not count against the
 * rate limit) means the cached projection still holds. Only the projection
 * (`project`) is cached, not the whole body. 404 and 410 mean deleted.
 */
export async function conditionalGet<T>(
  octokit: ProbotOctokit,
  store: ReconcileStore,
  url: string,
  project: (data: unknown) => T,
): Promise<Fetched<T>> {
  const cached = parseCached<T>(await store.get(url));
  try {
    const response = await octokit.request(`GET ${url}`, {
      headers: cached ? { 'if-none-match': cached.etag } : {},
    });
    const value = project(response.data);
    const etag = response.headers.etag;
    if (etag) await store.set(url, JSON.stringify({ etag, value }));
    return { value, from: 'github' };
  } catch (error) {
    const status = statusOf(error);
    if (status === 304 && cached) return { value: cached.value, from: 'cache' };
    if (status === 404 || status === 410) return { value: 'gone', from: 'github' };
    throw error;
  }
}

function parseCached<T>(raw: string | null): { etag: string; value: T } | undefined {
  if (!raw) return undefined;
  try {
    const parsed = JSON.parse(raw) as { etag?: unknown; value?: T };
    return typeof parsed.etag === 'string' && parsed.value !== undefined
      ? { etag: parsed.etag, value: parsed.value }
      : undefined;
  } catch {
    return undefined;
  }
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('status' in error)) return undefined;
  return typeof error.status === 'number' ? error.status : undefined;
}
