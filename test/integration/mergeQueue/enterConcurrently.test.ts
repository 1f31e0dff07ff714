import { afterEach, describe, expect, it } from 'vitest';
import { enterMergeQueue } from '../../../src/mergeQueue/entries.js';
import { useNock } from '../../support/github.js';
import { QueueHarness } from '../../support/mergeQueue/harness.js';

let harness: QueueHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

describe(
  'tasks of one epic entering the merge queue at the same moment',
  { timeout: 180_000 },
  () => {
    it('each get a place of their own (the last position is read and written under a lock)', async () => {
      useNock();
      const h = new QueueHarness({
        files: { 'a.txt': 'a\n' },
        worker: () => Promise.reject(new Error('no rework expected')),
      });
      harness = h;
      await h.start();
      const tasks = [];
      for (const n of [1, 2, 3, 4]) {
        tasks.push(await h.addPullRequest(60 + n, 600 + n, { [`f${n}.txt`]: `${n}\n` }));
      }
      const entries = await Promise.all(
        tasks.map((task) =>
          enterMergeQueue(h.handle.db, {
            epicId: h.epicId,
            taskId: task.id,
            prNumber: task.prNumber ?? 0,
          }),
        ),
      );
      expect(new Set(entries.map((entry) => entry.position)).size).toBe(tasks.length);
    });
  },
);
