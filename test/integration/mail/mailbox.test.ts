import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../../src/db/connection.js';
import { agents, epics, mail, tasks } from '../../../src/db/schema.js';
import {
  recordIncomingComment,
  recordOutgoingMail,
  takeUnreadMail,
  unreadMailCount,
} from '../../../src/mail/mailbox.js';
import { createTestDatabase, databaseKinds } from '../../support/database.js';

describe.each(databaseKinds)('mailbox on %s', (kind) => {
  let handle: DatabaseHandle;
  let epicId: number;
  let taskIds: [number, number];
  beforeAll(async () => {
    handle = await createTestDatabase(kind);
    const [epic] = await handle.db
      .insert(epics)
      .values({
        installationId: 1,
        repoId: 2,
        repoOwner: 'acme',
        repoName: 'w',
        issueNumber: 1,
        issueId: 11,
        title: 'E',
      })
      .returning();
    epicId = epic!.id;
    const rows = await handle.db
      .insert(tasks)
      .values([
        { epicId, issueNumber: 2, issueId: 12, title: 'A' },
        { epicId, issueNumber: 3, issueId: 13, title: 'B' },
      ])
      .returning();
    taskIds = [rows[0]!.id, rows[1]!.id];
  });
  afterAll(() => handle.close());

  it('records a comment once, keyed by its GitHub id', async () => {
    const first = await recordIncomingComment(handle.db, {
      commentId: 501,
      fromHuman: 'alice',
      subject: 's',
      body: 'one',
    });
    const again = await recordIncomingComment(handle.db, {
      commentId: 501,
      fromHuman: 'alice',
      subject: 's',
      body: 'edited',
    });
    expect(first.created).toBe(true);
    expect(again).toEqual({ created: false, mail: first.mail });
  });

  it('records outgoing mail once per dedupe key', async () => {
    const message = { dedupeKey: 'k-1', body: 'hi', isForHuman: true, epicId };
    const first = await recordOutgoingMail(handle.db, message);
    const again = await recordOutgoingMail(handle.db, { ...message, body: 'different' });
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.mail.body).toBe('hi');
  });

  it('hands an agent its unread mail once, including mail left for its task', async () => {
    const [worker] = await handle.db
      .insert(agents)
      .values({ kind: 'worker', epicId, taskId: taskIds[0] })
      .returning();
    const [other] = await handle.db
      .insert(agents)
      .values({ kind: 'worker', epicId, taskId: taskIds[1] })
      .returning();
    const [supervisor] = await handle.db
      .insert(agents)
      .values({ kind: 'supervisor', epicId })
      .returning();
    await handle.db.insert(mail).values([
      {
        body: 'direct',
        toAgentId: worker!.id,
        fromAgentId: supervisor!.id,
        epicId,
        taskId: taskIds[0],
      },
      {
        body: 'left for the task',
        toAgentId: null,
        fromHuman: 'alice',
        epicId,
        taskId: taskIds[0],
      },
      { body: 'already read', toAgentId: worker!.id, readAt: new Date(), epicId },
      { body: 'for people', isForHuman: true, fromAgentId: worker!.id, epicId, taskId: taskIds[0] },
      { body: 'other task', toAgentId: null, epicId, taskId: taskIds[1] },
      { body: 'for the epic', toAgentId: null, epicId },
    ]);
    expect(await unreadMailCount(handle.db, worker!.id)).toBe(1);

    const taken = await takeUnreadMail(handle.db, worker!.id);
    expect(taken.map((m) => m.body)).toEqual(['direct', 'left for the task']);
    expect(taken.every((m) => m.readAt !== null && m.toAgentId === worker!.id)).toBe(true);
    expect(await takeUnreadMail(handle.db, worker!.id)).toEqual([]);

    expect((await takeUnreadMail(handle.db, other!.id)).map((m) => m.body)).toEqual(['other task']);
    expect((await takeUnreadMail(handle.db, supervisor!.id)).map((m) => m.body)).toEqual([
      'for the epic',
    ]);
    expect(await takeUnreadMail(handle.db, 999_999)).toEqual([]);
  });

  it('never gives one message to two readers taking at once', async () => {
    const [worker] = await handle.db
      .insert(agents)
      .values({ kind: 'worker', epicId, taskId: taskIds[1] })
      .returning();
    await handle.db
      .insert(mail)
      .values(
        Array.from({ length: 20 }, (_, i) => ({ body: `m${i}`, toAgentId: worker!.id, epicId })),
      );
    const [a, b] = await Promise.all([
      takeUnreadMail(handle.db, worker!.id),
      takeUnreadMail(handle.db, worker!.id),
    ]);
    const bodies = [...a!, ...b!].map((m) => m.body).sort();
    expect(bodies).toHaveLength(20);
    expect(new Set(bodies).size).toBe(20);
  });
});
