import { match, turn, type ScriptedModel } from '../../support/scriptedModel/index.js';

/**
 * The story the end-to-end test and the demo tell on the sample repository
 * (textkit): an epic planned into three tasks, each implemented by the real
 * Claude Code engine following scripted turns. Tasks 1 and 2 both add an
 * export at the end of src/index.js, so once the first is merged the second
 * conflicts and needs an agent to resolve it; task 3 touches other files only.
 */

export const epicIssue = {
  title: 'More string helpers for textkit',
  body: [
    'textkit needs three more helpers, each exported from the package and tested:',
    '',
    '- `truncate(text, length)`: cut long text and end it with an ellipsis;',
    '- `capitalize(word)`: upper-case the first letter;',
    '- `wordCount(text)`: how many words a text has.',
  ].join('\n'),
};

export const plannedTasks = [
  {
    key: 'truncate',
    title: 'Add truncate(text, length)',
    description: 'Add `truncate` in src/truncate.js, export it from src/index.js, test it.',
    acceptanceCriteria: ['truncate("hello world", 5) is "hell…"', 'short text is unchanged'],
    dependsOn: [],
  },
  {
    key: 'capitalize',
    title: 'Add capitalize(word)',
    description: 'Add `capitalize` in src/capitalize.js, export it from src/index.js, test it.',
    acceptanceCriteria: ['capitalize("word") is "Word"'],
    dependsOn: [],
  },
  {
    key: 'word-count',
    title: 'Add wordCount(text)',
    description: 'Add `wordCount` in src/wordCount.js with its test.',
    acceptanceCriteria: ['wordCount("a b  c") is 3', 'wordCount("") is 0'],
    dependsOn: [],
  },
] as const;

const heredoc = (file: string, content: string) => `cat > ${file} <<'EOF'\n${content}EOF`;

/**
 * Adds the helper's export to src/index.js unless it is there: a later attempt
 * continues in the worktree of an earlier one (after a crash), and must not
 * export it twice.
 */
const exportOnce = (name: string) =>
  `grep -q "export { ${name} }" src/index.js || printf "export { ${name} } from './${name}.js';\\n" >> src/index.js`;

/**
 * Each task's change, as the shell commands the scripted worker runs in its
 * worktree; running them again changes nothing more.
 */
export const taskChanges: Record<(typeof plannedTasks)[number]['key'], string> = {
  truncate: [
    heredoc(
      'src/truncate.js',
      '/** Cuts `text` to `length` characters, ending with an ellipsis when it was longer. */\nexport function truncate(text, length) {\n  return text.length <= length ? text : `${text.slice(0, Math.max(length - 1, 0))}…`;\n}\n',
    ),
    heredoc(
      'test/truncate.test.js',
      "import assert from 'node:assert/strict';\nimport { test } from 'node:test';\nimport { truncate } from '../src/index.js';\n\ntest('truncate cuts long text with an ellipsis', () => {\n  assert.equal(truncate('hello world', 5), 'hell…');\n  assert.equal(truncate('hi', 5), 'hi');\n});\n",
    ),
    exportOnce('truncate'),
  ].join('\n'),
  capitalize: [
    heredoc(
      'src/capitalize.js',
      '/** Upper-cases the first letter of `word`. */\nexport function capitalize(word) {\n  return word.charAt(0).toUpperCase() + word.slice(1);\n}\n',
    ),
    heredoc(
      'test/capitalize.test.js',
      "import assert from 'node:assert/strict';\nimport { test } from 'node:test';\nimport { capitalize } from '../src/index.js';\n\ntest('capitalize upper-cases the first letter', () => {\n  assert.equal(capitalize('word'), 'Word');\n});\n",
    ),
    exportOnce('capitalize'),
  ].join('\n'),
  'word-count': [
    heredoc(
      'src/wordCount.js',
      '/** How many whitespace-separated words `text` has. */\nexport function wordCount(text) {\n  return text.split(/\\s+/).filter(Boolean).length;\n}\n',
    ),
    heredoc(
      'test/wordCount.test.js',
      "import assert from 'node:assert/strict';\nimport { test } from 'node:test';\nimport { wordCount } from '../src/wordCount.js';\n\ntest('wordCount counts words', () => {\n  assert.equal(wordCount('a b  c'), 3);\n  assert.equal(wordCount(''), 0);\n});\n",
    ),
  ].join('\n'),
};

/** src/index.js once every task is merged: what resolving the conflict must produce. */
export const resolvedIndex = [
  "export { slugify } from './slugify.js';",
  "export { titleCase } from './titleCase.js';",
  "export { truncate } from './truncate.js';",
  "export { capitalize } from './capitalize.js';",
  '',
].join('\n');

const worker = match.systemIncludes('Factory worker');
const conflictWords = match.any(
  match.promptIncludes('conflict'),
  match.promptIncludes('Conflict'),
  match.promptIncludes('<<<<<<<'),
);

/** Registers the whole conversation of the epic with the scripted model. */
export function scriptTextkitEpic(model: ScriptedModel, options: { workerDelayMs?: number } = {}) {
  const delayMs = options.workerDelayMs ?? 0;
  model.script(
    match.any(match.offersTool('mcp__factory__submit_plan'), match.systemIncludes('submit_plan')),
    [
      turn.toolUse('Bash', { command: 'ls src test && cat src/index.js' }),
      turn.factoryTool('submit_plan', {
        summary: 'Three independent helpers, one task each, every one exported and tested.',
        tasks: plannedTasks,
      }),
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
  // Resolving the conflict: whatever state the worktree is in, src/index.js ends with every export.
  model.script(match.all(worker, conflictWords), [
    turn.toolUse('Bash', { command: `${heredoc('src/index.js', resolvedIndex)}\nnpm test` }),
    turn.text(
      'Resolved the conflict in src/index.js: it now exports every helper, and the tests pass.',
      { delayMs },
    ),
  ]);
  for (const task of plannedTasks) {
    model.script(match.all(worker, match.promptIncludes(task.title)), [
      turn.toolUse('Bash', { command: taskChanges[task.key] }),
      turn.toolUse('Bash', { command: 'npm test' }),
      // Held back when asked: the change is made and tested, the run not yet finished.
      turn.text(`${task.title}: implemented in src/ with a test in test/; npm test passes.`, {
        delayMs,
      }),
    ]);
  }
  model.script(worker, [turn.text('Nothing further to change.')]);
  model.script(match.always(), [turn.text('Noted.')]);
}
