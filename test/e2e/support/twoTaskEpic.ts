import { match, turn, type ScriptedModel, type Turn } from '../../support/scriptedModel/index.js';
import { plannedTasks, taskChanges } from './textkitEpic.js';

/**
 * A smaller textkit epic for the crash tests, which run one epic per crash
 * point: two tasks that touch different files (no conflict, so no agent is
 * needed after the first merge), each implemented by the real engine
 * following scripted turns. Any number of these epics, in different
 * repositories, run against one scripted model.
 */

export const twoTaskEpicIssue = {
  title: 'Two string helpers for textkit',
  body: [
    'textkit needs two more helpers, each tested:',
    '',
    '- `truncate(text, length)`: cut long text and end it with an ellipsis;',
    '- `wordCount(text)`: how many words a text has.',
  ].join('\n'),
};

export const twoPlannedTasks = plannedTasks.filter((task) => task.key !== 'capitalize');

/**
 * Which agent turns the model holds back right now, and for how long: a
 * test sets one before the epic starts, to kill the app while that turn is
 * pending, and clears it before starting the app again.
 */
export interface TurnHolds {
  /** The supervisor's planning turn that submits the plan. */
  planMs: number;
  /** A worker's last turn, its change made and tested, not committed. */
  workerMs: number;
}

const heldText = (text: string, holdMs: () => number): Turn =>
  turn.dynamic(() => turn.text(text, { delayMs: holdMs() }));

/** Registers the conversations of the two-task epic; `holds` is read at each request. */
export function scriptTwoTaskEpic(model: ScriptedModel, holds: TurnHolds) {
  model.script(
    match.any(match.offersTool('mcp__factory__submit_plan'), match.systemIncludes('submit_plan')),
    [
      turn.toolUse('Bash', { command: 'ls src test && cat src/index.js' }),
      turn.dynamic(() =>
        turn.factoryTool(
          'submit_plan',
          {
            summary: 'Two independent helpers, one task each, every one tested.',
            tasks: twoPlannedTasks,
          },
          { delayMs: holds.planMs },
        ),
      ),
      turn.text('The plan is submitted.'),
    ],
  );
  model.script(
    match.any(
      match.offersTool('mcp__factory__submit_review'),
      match.systemIncludes('submit_review'),
    ),
    [
      turn.factoryTool('submit_review', {
        verdict: 'APPROVE',
        summary: 'The change meets the acceptance criteria and is tested.',
        comments: [],
      }),
      turn.text('Reviewed.'),
    ],
  );
  const worker = match.systemIncludes('Factory worker');
  for (const task of twoPlannedTasks) {
    model.script(match.all(worker, match.promptIncludes(task.title)), [
      turn.toolUse('Bash', { command: taskChanges[task.key] }),
      turn.toolUse('Bash', { command: 'npm test' }),
      heldText(
        `${task.title}: implemented in src/ with a test in test/; npm test passes.`,
        () => holds.workerMs,
      ),
    ]);
  }
  model.script(worker, [turn.text('Nothing further to change.')]);
  model.script(match.always(), [turn.text('Noted.')]);
}
