import { startsWithCommand, withoutBotMention } from './addressing.js';
import { sanitizeForAgent } from './sanitize.js';

/**
 * What a comment addressed to Factory asks for: one of the commands of
 * PRODUCT.md §1, a word that is not a command, or free text for the agent.
 */

export const commandNames = [
  'status',
  'approve',
  'retry',
  'cancel',
  'pause',
  'resume',
  'replan',
] as const;
export type CommandName = (typeof commandNames)[number];

export type ParsedComment =
  | { kind: 'command'; command: CommandName; argument: string }
  | { kind: 'unknown-command'; word: string }
  | { kind: 'message'; text: string };

export function parseComment(body: string, botLogin: string): ParsedComment {
  const text = sanitizeForAgent(body);
  if (!startsWithCommand(text)) return { kind: 'message', text: withoutBotMention(text, botLogin) };
  const [firstLine = '', ...rest] = text.trimStart().split('\n');
  const words = firstLine.trim().split(/\s+/).slice(1);
  const word = (words[0] ?? '').toLowerCase();
  if (!isCommandName(word)) return { kind: 'unknown-command', word };
  const argument = [words.slice(1).join(' '), ...rest].join('\n').trim();
  return { kind: 'command', command: word, argument };
}

export function isCommandName(word: string): word is CommandName {
  return (commandNames as readonly string[]).includes(word);
}

/** Where each command makes sense: an epic, or a task (its issue or its PR). */
export const commandPlaces: Record<CommandName, readonly ('epic' | 'task')[]> = {
  status: ['epic', 'task'],
  approve: ['epic'],
  retry: ['task'],
  cancel: ['epic', 'task'],
  pause: ['epic'],
  resume: ['epic'],
  replan: ['epic'],
};

export const commandHelp = [
  '`/factory status` — the state of this epic or task',
  '`/factory approve` — approve the plan waiting on an epic',
  '`/factory retry` — try a failed or blocked task again',
  '`/factory cancel` — cancel an epic, or stop a task',
  '`/factory pause` / `/factory resume` — hold or restart the work of an epic',
  '`/factory replan` — plan an epic again',
].join('\n');
