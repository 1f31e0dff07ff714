/**
 * The order in which an epic's PRs are merged: by queue position (the order
 * they entered REVIEW), except that a PR never goes before a PR of a task it
 * depends on. Pure.
 */

export interface QueueItem {
  entryId: number;
  taskId: number;
  position: number;
  /** Task ids (same epic) that must be merged first. */
  dependsOn: readonly number[];
}

export interface QueueOrder<T extends QueueItem> {
  /** Mergeable in this order; the first is the head. */
  ordered: T[];
  /** Waiting on a dependency that is neither merged nor in the queue. */
  waiting: { item: T; missing: number[] }[];
  head: T | undefined;
}

export function orderQueue<T extends QueueItem>(
  items: readonly T[],
  mergedTaskIds: ReadonlySet<number>,
): QueueOrder<T> {
  const remaining = [...items].sort((a, b) => a.position - b.position || a.entryId - b.entryId);
  const placed = new Set<number>(mergedTaskIds);
  const ordered: T[] = [];
  let progress = true;
  while (progress) {
    progress = false;
    const index = remaining.findIndex((item) => item.dependsOn.every((id) => placed.has(id)));
    if (index >= 0) {
      const [item] = remaining.splice(index, 1);
      if (item) {
        ordered.push(item);
        placed.add(item.taskId);
        progress = true;
      }
    }
  }
  const waiting = remaining.map((item) => ({
    item,
    missing: item.dependsOn.filter((id) => !placed.has(id)),
  }));
  return { ordered, waiting, head: ordered[0] };
}
