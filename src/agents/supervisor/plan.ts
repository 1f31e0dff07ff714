import { z } from 'zod';

/**
 * The supervisor's plan: what it submits through its `submit_plan` tool.
 * Dependencies are checked inside the schema, so an invalid plan gets the
 * runner's corrective turn with the exact problem instead of failing later.
 */

export const planTaskSchema = z.object({
  key: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'a short lowercase key such as "add-parser"'),
  title: z.string().trim().min(3).max(120),
  description: z.string().trim().min(1).max(20_000),
  acceptanceCriteria: z.array(z.string().trim().min(1).max(1_000)).min(1).max(20),
  dependsOn: z.array(z.string()).max(20).default([]),
});

const planShape = z.object({
  summary: z.string().trim().min(1).max(5_000),
  tasks: z.array(planTaskSchema).min(1).max(30),
});

export const planSchema = planShape.superRefine((plan, context) => {
  for (const problem of planProblems(plan.tasks))
    context.addIssue({ code: 'custom', message: problem });
});

export type Plan = z.infer<typeof planSchema>;
export type PlanTask = z.infer<typeof planTaskSchema>;

/** Pure: duplicate keys, unknown or self dependencies, and cycles, in words a model can act on. */
export function planProblems(tasks: readonly Pick<PlanTask, 'key' | 'dependsOn'>[]): string[] {
  const problems: string[] = [];
  const keys = new Set<string>();
  for (const task of tasks) {
    if (keys.has(task.key)) problems.push(`task key "${task.key}" is used twice`);
    keys.add(task.key);
  }
  for (const task of tasks) {
    for (const dependency of task.dependsOn) {
      if (dependency === task.key) problems.push(`task "${task.key}" depends on itself`);
      else if (!keys.has(dependency))
        problems.push(
          `task "${task.key}" depends on "${dependency}", which is not a task of the plan`,
        );
    }
  }
  if (problems.length === 0) {
    const cycle = findCycle(tasks);
    if (cycle) problems.push(`the dependencies form a cycle: ${cycle.join(' → ')}`);
  }
  return problems;
}

/** Pure: the tasks in an order where every task comes after those it depends on (stable otherwise). */
export function orderTasks<T extends Pick<PlanTask, 'key' | 'dependsOn'>>(
  tasks: readonly T[],
): T[] {
  const placed = new Set<string>();
  const ordered: T[] = [];
  while (ordered.length < tasks.length) {
    const next = tasks.find(
      (task) => !placed.has(task.key) && task.dependsOn.every((key) => placed.has(key)),
    );
    if (!next)
      throw new Error('The plan has a dependency cycle; validate it with planSchema first');
    placed.add(next.key);
    ordered.push(next);
  }
  return ordered;
}

function findCycle(tasks: readonly Pick<PlanTask, 'key' | 'dependsOn'>[]): string[] | undefined {
  const byKey = new Map(tasks.map((task) => [task.key, task]));
  const state = new Map<string, 'visiting' | 'done'>();
  const trail: string[] = [];
  const visit = (key: string): string[] | undefined => {
    if (state.get(key) === 'done') return undefined;
    if (state.get(key) === 'visiting') return [...trail.slice(trail.indexOf(key)), key];
    state.set(key, 'visiting');
    trail.push(key);
    for (const dependency of byKey.get(key)?.dependsOn ?? []) {
      const cycle = visit(dependency);
      if (cycle) return cycle;
    }
    trail.pop();
    state.set(key, 'done');
    return undefined;
  };
  for (const task of tasks) {
    const cycle = visit(task.key);
    if (cycle) return cycle;
  }
  return undefined;
}
