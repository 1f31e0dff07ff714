import { describe, expect, it } from 'vitest';
import { orderQueue, type QueueItem } from '../../../src/mergeQueue/queueOrder.js';

const item = (taskId: number, position: number, dependsOn: number[] = []): QueueItem => ({
  entryId: taskId * 10,
  taskId,
  position,
  dependsOn,
});

describe('orderQueue', () => {
  it('orders by queue position; the first is the head', () => {
    const { ordered, head } = orderQueue([item(3, 2), item(1, 0), item(2, 1)], new Set());
    expect(ordered.map((i) => i.taskId)).toEqual([1, 2, 3]);
    expect(head?.taskId).toBe(1);
  });

  it('breaks position ties by the order entries were created', () => {
    const a = { ...item(1, 0), entryId: 2 };
    const b = { ...item(2, 0), entryId: 1 };
    expect(orderQueue([a, b], new Set()).head?.taskId).toBe(2);
  });

  it('never puts a PR before a queued PR it depends on', () => {
    const { ordered } = orderQueue([item(1, 0, [2]), item(2, 1), item(3, 2)], new Set());
    expect(ordered.map((i) => i.taskId)).toEqual([2, 1, 3]);
  });

  it('a dependency already merged does not hold a PR back', () => {
    expect(orderQueue([item(1, 0, [7])], new Set([7])).head?.taskId).toBe(1);
  });

  it('a PR whose dependency is neither merged nor queued waits, and cannot be the head', () => {
    const result = orderQueue([item(1, 0, [9]), item(2, 1)], new Set());
    expect(result.head?.taskId).toBe(2);
    expect(result.waiting).toEqual([{ item: item(1, 0, [9]), missing: [9] }]);
  });

  it('a dependency cycle waits visibly instead of looping', () => {
    const result = orderQueue([item(1, 0, [2]), item(2, 1, [1])], new Set());
    expect(result.head).toBeUndefined();
    expect(result.waiting.map((w) => w.missing)).toEqual([[2], [1]]);
  });

  it('an empty queue has no head', () => {
    expect(orderQueue([], new Set()).head).toBeUndefined();
  });
});
