import { describe, expect, it } from 'vitest';
import { decideCommand } from '../../../src/mail/commandDecision.js';
import { taskStates, type TaskState } from '../../../src/db/schema.js';
import { anEpic, aTask } from './records.js';

const onEpic = (overrides: Parameters<typeof anEpic>[0] = {}) => ({
  kind: 'supervisor' as const,
  epic: anEpic(overrides),
});
const onTask = (state: TaskState) => ({
  kind: 'worker' as const,
  epic: anEpic({ state: 'IN_PROGRESS' }),
  task: aTask({ state }),
});
const plan = { tasks: [] };

describe('decideCommand: place', () => {
  it.each(['approve', 'pause', 'resume', 'replan'] as const)(
    'refuses %s on a task, pointing at the epic',
    (command) => {
      const decision = decideCommand(command, onTask('IN_PROGRESS'));
      expect(decision).toEqual({ refuse: expect.stringContaining('comment it on epic #10') });
    },
  );

  it('refuses retry on an epic, pointing at the task', () => {
    expect(decideCommand('retry', onEpic({ state: 'IN_PROGRESS' }))).toEqual({
      refuse: expect.stringContaining('works on a task'),
    });
  });

  it('answers status anywhere, in any state', () => {
    expect(decideCommand('status', onEpic({ state: 'COMPLETED' }))).toEqual({
      act: { kind: 'status' },
    });
    expect(decideCommand('status', onTask('FAILED'))).toEqual({ act: { kind: 'status' } });
  });
});

describe('decideCommand: epic', () => {
  it('approves a plan waiting for approval', () => {
    const recipient = onEpic({ plan });
    expect(decideCommand('approve', recipient)).toEqual({
      act: { kind: 'approve-plan', epic: recipient.epic },
    });
  });

  it('refuses to approve before there is a plan, or twice', () => {
    expect(decideCommand('approve', onEpic())).toEqual({
      refuse: expect.stringContaining('no plan'),
    });
    const approved = onEpic({ plan, planApprovedAt: new Date(), planApprovedBy: 'alice' });
    expect(decideCommand('approve', approved)).toEqual({
      refuse: expect.stringContaining('@alice'),
    });
    expect(decideCommand('approve', onEpic({ plan, state: 'IN_PROGRESS' }))).toEqual({
      refuse: expect.stringContaining('already approved'),
    });
  });

  it.each(['COMPLETED', 'CANCELLED'] as const)('refuses every change to a %s epic', (state) => {
    for (const command of ['approve', 'cancel', 'pause', 'resume', 'replan'] as const) {
      expect(decideCommand(command, onEpic({ state, plan }))).toEqual({
        refuse: expect.stringContaining(`already ${state}`),
      });
    }
  });

  it('cancels an unfinished epic', () => {
    for (const state of ['PLANNING', 'IN_PROGRESS', 'BLOCKED'] as const) {
      expect(decideCommand('cancel', onEpic({ state }))).toMatchObject({
        act: { kind: 'cancel-epic' },
      });
    }
  });

  it('pauses once and resumes only a paused epic', () => {
    expect(decideCommand('pause', onEpic({ state: 'IN_PROGRESS' }))).toMatchObject({
      act: { kind: 'pause-epic' },
    });
    const paused = onEpic({
      state: 'IN_PROGRESS',
      pausedAt: new Date(),
      pausedReason: 'paused by @bob',
    });
    expect(decideCommand('pause', paused)).toEqual({
      refuse: expect.stringContaining('already paused (paused by @bob)'),
    });
    expect(decideCommand('resume', paused)).toMatchObject({ act: { kind: 'resume-epic' } });
    expect(decideCommand('resume', onEpic())).toEqual({
      refuse: expect.stringContaining('not paused or blocked'),
    });
  });

  it('resumes a parked (BLOCKED) epic and one with open escalations, paused or not', () => {
    const parked = onEpic({ state: 'BLOCKED', blockedReason: 'a crash loop' });
    expect(decideCommand('resume', parked)).toMatchObject({ act: { kind: 'resume-epic' } });
    const escalated = onEpic({ state: 'IN_PROGRESS' });
    expect(decideCommand('resume', escalated, { openEscalations: 1 })).toMatchObject({
      act: { kind: 'resume-epic' },
    });
    expect(decideCommand('resume', escalated, { openEscalations: 0 })).toMatchObject({
      refuse: expect.any(String),
    });
  });

  it('replans an epic in progress, blocked, or with a plan awaiting approval — not one being planned', () => {
    expect(decideCommand('replan', onEpic({ state: 'IN_PROGRESS', plan }))).toMatchObject({
      act: { kind: 'replan-epic' },
    });
    expect(decideCommand('replan', onEpic({ state: 'BLOCKED' }))).toMatchObject({
      act: { kind: 'replan-epic' },
    });
    expect(decideCommand('replan', onEpic({ plan }))).toMatchObject({
      act: { kind: 'replan-epic' },
    });
    expect(decideCommand('replan', onEpic())).toEqual({
      refuse: expect.stringContaining('being planned'),
    });
  });
});

describe('decideCommand: task', () => {
  it.each(taskStates)('retry on a %s task', (state) => {
    const decision = decideCommand('retry', onTask(state));
    if (state === 'FAILED' || state === 'BLOCKED')
      expect(decision).toMatchObject({ act: { kind: 'retry-task' } });
    else expect(decision).toEqual({ refuse: expect.stringContaining(`is ${state}`) });
  });

  it.each(taskStates)('cancel on a %s task', (state) => {
    const decision = decideCommand('cancel', onTask(state));
    if (['PENDING', 'ASSIGNED', 'IN_PROGRESS', 'REVIEW'].includes(state))
      expect(decision).toMatchObject({ act: { kind: 'cancel-task' } });
    else expect(decision).toEqual({ refuse: expect.stringContaining(`already ${state}`) });
  });
});
