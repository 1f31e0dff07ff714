import type { ToolDecision } from './toolPolicy.js';
import { isHarmlessTarget, isInside, resolveIn, type Workspace } from './workspacePaths.js';

/**
 * Refuses a worker's shell command that visibly leaves its worktree: a `cd`
 * (or `pushd`) to a folder outside it, a redirection (`>`, `>>`, `2>`, `&>`)
 * into a file outside it, a file-changing command (rm, mv, cp, mkdir, touch,
 * tee, ln, chmod, sed -i, …) or `git -C` / `--work-tree` / `--git-dir` aimed
 * outside it, and any reading of `/proc` (another process's environment could
 * hold the app's secrets).
 *
 * What this can NOT guarantee: a shell is a programming language. A script
 * file, an interpreter (`node -e`, `python -c`), `make`, an npm script,
 * `eval`, command substitution, a variable whose value we cannot see, or a
 * symbolic link inside the worktree can all write elsewhere without the
 * command line saying so. This check stops the direct, visible attempts and
 * honest mistakes; the boundary that holds against a determined agent is the
 * operating system — run workers as a user (or in a container) that can write
 * only its worktree. The README says so.
 */

const writingCommands = new Set([
  'rm',
  'rmdir',
  'mkdir',
  'touch',
  'tee',
  'truncate',
  'chmod',
  'chown',
  'chgrp',
  'shred',
  'unlink',
]);
/** Commands whose last operand is where they write. */
const copyingCommands = new Set(['cp', 'mv', 'ln', 'install', 'rsync', 'scp']);
/** Words that run the next word as the command. */
const wrappers = new Set(['sudo', 'env', 'command', 'exec', 'nohup', 'time', 'nice', 'xargs']);

type Token = { kind: 'word'; text: string; raw: string } | { kind: 'op'; text: string };

export function checkShellCommand(command: string, workspace: Workspace): ToolDecision {
  if (/\/proc\/|\benviron\b/.test(command)) {
    return deny('reads /proc or a process environment, which may hold secrets');
  }
  const tokens = tokenize(command);
  let dir = workspace.root;
  for (const simple of splitCommands(tokens)) {
    const verdict = checkSimpleCommand(simple, dir, workspace);
    if (!verdict.ok) return deny(verdict.reason);
    dir = verdict.dir;
  }
  return { allow: true };
}

function deny(reason: string): ToolDecision {
  return { allow: false, reason: `Refused: this command ${reason}. Stay inside the worktree.` };
}

type Verdict = { ok: true; dir: string } | { ok: false; reason: string };

function checkSimpleCommand(tokens: Token[], dir: string, workspace: Workspace): Verdict {
  const words: Array<{ text: string; raw: string }> = [];
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i] as Token;
    if (token.kind === 'op') {
      const target = tokens[i + 1];
      if (isRedirection(token.text) && target?.kind === 'word') {
        i += 1;
        if (token.text.startsWith('<') || /&\d$/.test(token.text)) continue;
        const problem = outside(target, dir, workspace, 'redirects output to');
        if (problem) return { ok: false, reason: problem };
      }
      continue;
    }
    words.push(token);
  }
  const args = dropWrappers(words);
  const name = args[0]?.text;
  if (name === undefined) return { ok: true, dir };
  const operands = args.slice(1).filter((word) => !word.text.startsWith('-'));
  if (name === 'cd' || name === 'pushd') {
    const target = operands[0] ?? { text: '~', raw: '~' };
    if (target.text === '-') return { ok: false, reason: 'changes to the previous folder' };
    const problem = outside(target, dir, workspace, 'changes directory to');
    if (problem) return { ok: false, reason: problem };
    return { ok: true, dir: resolveIn(dir, target.text, workspace.home) };
  }
  const targets = writeTargets(name, args.slice(1), operands);
  for (const target of targets) {
    const problem = outside(target, dir, workspace, `${name} writes to`);
    if (problem) return { ok: false, reason: problem };
  }
  return { ok: true, dir };
}

function writeTargets(
  name: string,
  rest: Array<{ text: string; raw: string }>,
  operands: Array<{ text: string; raw: string }>,
): Array<{ text: string; raw: string }> {
  if (writingCommands.has(name)) return operands;
  if (copyingCommands.has(name)) {
    const targetFlag = rest.findIndex(
      (word) => word.text === '-t' || word.text === '--target-directory',
    );
    const flagged = targetFlag >= 0 ? rest[targetFlag + 1] : undefined;
    return flagged ? [flagged] : operands.slice(-1);
  }
  if (
    name === 'sed' &&
    rest.some((word) => /^-[a-zA-Z]*i/.test(word.text) || word.text.startsWith('--in-place'))
  ) {
    return operands.slice(1);
  }
  if (name === 'dd') {
    return rest
      .filter((word) => word.text.startsWith('of='))
      .map((word) => ({ text: word.text.slice(3), raw: word.raw.slice(3) }));
  }
  if (name === 'git') return gitTargets(rest);
  return [];
}

function gitTargets(
  rest: Array<{ text: string; raw: string }>,
): Array<{ text: string; raw: string }> {
  const targets: Array<{ text: string; raw: string }> = [];
  rest.forEach((word, index) => {
    if (word.text === '-C' || word.text === '--git-dir' || word.text === '--work-tree') {
      const next = rest[index + 1];
      if (next) targets.push(next);
    }
    for (const flag of ['--git-dir=', '--work-tree=']) {
      if (word.text.startsWith(flag)) {
        targets.push({ text: word.text.slice(flag.length), raw: word.raw.slice(flag.length) });
      }
    }
  });
  return targets;
}

function outside(
  target: { text: string; raw: string },
  dir: string,
  workspace: Workspace,
  what: string,
): string | undefined {
  const expanded = target.raw.replace(/^\$\{?HOME\}?(?=\/|$)/, '~');
  if (/[$`]/.test(expanded)) return `${what} "${target.raw}", a path that cannot be checked`;
  const resolved = resolveIn(dir, target.text, workspace.home);
  if (isInside(workspace.root, resolved) || isHarmlessTarget(resolved)) return undefined;
  return `${what} ${resolved}, outside the worktree ${workspace.root}`;
}

function dropWrappers(words: Array<{ text: string; raw: string }>) {
  let start = 0;
  while (start < words.length) {
    const word = words[start]?.text ?? '';
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(word) || wrappers.has(word)) start += 1;
    else break;
  }
  return words.slice(start);
}

function isRedirection(op: string): boolean {
  return /^(\d*|&)(>>?|>\||<)(&\d)?$/.test(op);
}

const separators = new Set([';', '&&', '||', '|', '&', '(', ')', '\n', '{', '}']);

function splitCommands(tokens: Token[]): Token[][] {
  const commands: Token[][] = [[]];
  for (const token of tokens) {
    if (token.kind === 'op' && separators.has(token.text)) commands.push([]);
    else commands.at(-1)?.push(token);
  }
  return commands.filter((command) => command.length > 0);
}

/**
 * A small shell lexer: words with quotes removed (`text`) and as written
 * (`raw`, so a `$VAR` inside double quotes is still seen), and operators.
 */
export function tokenize(command: string): Token[] {
  const tokens: Token[] = [];
  let text = '';
  let raw = '';
  let inWord = false;
  const flush = () => {
    if (inWord) tokens.push({ kind: 'word', text, raw });
    text = '';
    raw = '';
    inWord = false;
  };
  for (let i = 0; i < command.length; i += 1) {
    const char = command[i] as string;
    if (char === "'") {
      const end = command.indexOf("'", i + 1);
      const stop = end < 0 ? command.length : end;
      text += command.slice(i + 1, stop);
      raw += command.slice(i + 1, stop).replace(/[$`]/g, '');
      inWord = true;
      i = stop;
    } else if (char === '"') {
      let j = i + 1;
      while (j < command.length && command[j] !== '"') {
        if (command[j] === '\\' && j + 1 < command.length) j += 1;
        j += 1;
      }
      const inner = command.slice(i + 1, j);
      text += inner;
      raw += inner;
      inWord = true;
      i = j;
    } else if (char === '\\' && i + 1 < command.length) {
      text += command[i + 1];
      raw += command[i + 1];
      inWord = true;
      i += 1;
    } else if (char === '#' && !inWord) {
      while (i < command.length && command[i] !== '\n') i += 1;
      i -= 1;
    } else if (/\s/.test(char) && char !== '\n') {
      flush();
    } else {
      const op = readOperator(command, i, inWord ? text : '');
      if (op) {
        // A digit right before `>` (2>) belongs to the operator, not the word.
        if (op.fdPrefix) {
          text = text.slice(0, -op.fdPrefix);
          raw = raw.slice(0, -op.fdPrefix);
          inWord = text !== '';
        }
        flush();
        tokens.push({ kind: 'op', text: op.text });
        i += op.length - 1;
      } else {
        text += char;
        raw += char;
        inWord = true;
      }
    }
  }
  flush();
  return tokens;
}

function readOperator(
  command: string,
  at: number,
  wordSoFar: string,
): { text: string; length: number; fdPrefix: number } | undefined {
  const rest = command.slice(at);
  const redirect = /^(&>>?|>>|>\||>&\d|>|<)/.exec(rest);
  if (redirect) {
    const fd = /^\d$/.test(wordSoFar) ? wordSoFar : '';
    return { text: fd + redirect[0], length: redirect[0].length, fdPrefix: fd.length };
  }
  const control = /^(&&|\|\||;|\||&|\(|\)|\n)/.exec(rest);
  if (control) return { text: control[0], length: control[0].length, fdPrefix: 0 };
  return undefined;
}
