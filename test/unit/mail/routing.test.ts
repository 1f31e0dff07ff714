import { describe, expect, it } from 'vitest';
import { routeComment } from '../../../src/mail/routing.js';
import { anEpic, aTask } from './records.js';

describe('routeComment', () => {
  const epic = anEpic();
  const task = aTask({ epicId: epic.id });

  it('sends a comment on an epic to its supervisor', () => {
    expect(routeComment({ epic })).toEqual({ kind: 'supervisor', epic });
  });

  it('sends a comment on a task (issue or PR) to its worker', () => {
    expect(routeComment({ task: { task, epic } })).toEqual({ kind: 'worker', task, epic });
  });

  it('prefers the epic when an epic issue is also nested under another epic', () => {
    expect(routeComment({ epic, task: { task, epic: anEpic({ id: 9 }) } })).toEqual({
      kind: 'supervisor',
      epic,
    });
  });

  it('sends anything else nowhere', () => {
    expect(routeComment({})).toEqual({ kind: 'nobody' });
  });
});
