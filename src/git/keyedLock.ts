/**
 * Runs work for the same key one at a time within this process: two jobs
 * fetching into one mirror would otherwise trip over git's lock files.
 */
const tails = new Map<string, Promise<unknown>>();

export async function withKeyedLock<T>(key: string, work: () => Promise<T>): Promise<T> {
  const previous = tails.get(key) ?? Promise.resolve();
  const current = previous.catch(() => undefined).then(work);
  tails.set(key, current);
  try {
    return await current;
  } finally {
    if (tails.get(key) === current) tails.delete(key);
  }
}
