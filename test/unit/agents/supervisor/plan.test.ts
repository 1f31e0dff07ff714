import { describe, expect, it } from 'vitest';
import { orderTasks, planProblems, planSchema } from '../../../../src/agents/supervisor/plan.js';

const task = (key: string, dependsOn: string[] = []) => ({
  key,
  title: `Task ${key}`,
  description: 'Do it',
  acceptanceCriteria: ['it is done'],
  dependsOn,
});

describe('the plan schema', () => {
  it('accepts a plan whose dependencies name earlier or later tasks', () => {
    const result = planSchema.safeParse({ summary: 's', tasks: [task('b', ['a']), task('a')] });
    expect(result.success).toBe(true);
  });

  it('rejects unknown, self and duplicate keys with words a model can act on', () => {
    expect(planProblems([task('a', ['zzz'])])).toEqual([
      'task "a" depends on "zzz", which is not a task of the plan',
    ]);
    expect(planProblems([task('a', ['a'])])).toEqual(['task "a" depends on itself']);
    expect(planProblems([task('a'), task('a')])).toEqual(['task key "a" is used twice']);
  });

  it('rejects a cycle and names it', () => {
    const problems = planProblems([task('a', ['c']), task('b', ['a']), task('c', ['b'])]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/cycle: a → c → b → a/);
    const parsed = planSchema.safeParse({
      summary: 's',
      tasks: [task('a', ['b']), task('b', ['a'])],
    });
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(parsed.error.issues[0]?.message).toMatch(/cycle/);
  });

  it('rejects an empty plan, a missing acceptance criterion and a bad key', () => {
    expect(planSchema.safeParse({ summary: 's', tasks: [] }).success).toBe(false);
    expect(
      planSchema.safeParse({ summary: 's', tasks: [{ ...task('a'), acceptanceCriteria: [] }] })
        .success,
    ).toBe(false);
    expect(planSchema.safeParse({ summary: 's', tasks: [task('Not A Key')] }).success).toBe(false);
  });
});

describe('ordering tasks', () => {
  it('puts every task after its dependencies and keeps the plan order otherwise', () => {
    const ordered = orderTasks([task('c', ['b']), task('a'), task('b', ['a']), task('d')]);
    expect(ordered.map((t) => t.key)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('refuses a cycle rather than loop', () => {
    expect(() => orderTasks([task('a', ['b']), task('b', ['a'])])).toThrow(/cycle/);
  });
});
