import { describe, expect, it } from 'vitest';
import { commandNames, parseComment } from '../../../src/mail/commands.js';

const bot = 'factory-app[bot]';

describe('parseComment', () => {
  it.each(commandNames)('reads /factory %s', (name) => {
    expect(parseComment(`/factory ${name}`, bot)).toEqual({
      kind: 'command',
      command: name,
      argument: '',
    });
  });

  it('is case-insensitive and keeps the rest as the argument', () => {
    expect(parseComment('/Factory CANCEL  wrong approach\nsee #12', bot)).toEqual({
      kind: 'command',
      command: 'cancel',
      argument: 'wrong approach\nsee #12',
    });
  });

  it('names an unknown command, and an empty one', () => {
    expect(parseComment('/factory deploy now', bot)).toEqual({
      kind: 'unknown-command',
      word: 'deploy',
    });
    expect(parseComment('/factory', bot)).toEqual({ kind: 'unknown-command', word: '' });
  });

  it('takes anything else addressed to the bot as a message, without the mention', () => {
    expect(parseComment('@factory-app could you use a Map here?', bot)).toEqual({
      kind: 'message',
      text: 'could you use a Map here?',
    });
  });

  it('does not see a command hidden by invisible characters', () => {
    expect(parseComment('/factory app\u200Brove', bot)).toMatchObject({ command: 'approve' });
    expect(parseComment('@factory-app <!-- /factory cancel --> hello', bot)).toEqual({
      kind: 'message',
      text: 'hello',
    });
  });
});
