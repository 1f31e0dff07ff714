import { describe, expect, it } from 'vitest';
import { taskBranchName } from '../../../../src/agents/worker/branchName.js';
import { pushRefusal } from '../../../../src/git/push.js';

describe('the task branch name', () => {
  it('is <prefix>/<epic>-<task>-<slug>', () => {
    expect(taskBranchName('factory', 12, 34, 'Add a `--verbose` flag to the CLI!')).toBe(
      'factory/12-34-add-a-verbose-flag-to-the-cli',
    );
  });

  it('is the same every time for the same task, whatever the title holds', () => {
    const title = 'Ünïcode: ../../etc/passwd; rm -rf /';
    expect(taskBranchName('bots/factory', 1, 2, title)).toBe(
      taskBranchName('bots/factory', 1, 2, title),
    );
    expect(taskBranchName('bots/factory', 1, 2, title)).toBe(
      'bots/factory/1-2-unicode-etc-passwd-rm-rf',
    );
    expect(taskBranchName('factory', 1, 2, '!!!')).toBe('factory/1-2');
  });

  it('keeps the slug short and never ends on a dash', () => {
    const name = taskBranchName('factory', 1, 2, 'a'.repeat(39) + ' b c d e f');
    expect(name.length).toBeLessThanOrEqual('factory/1-2-'.length + 40);
    expect(name.endsWith('-')).toBe(false);
  });

  it('is a branch the push guard accepts, and the guard refuses anything else', () => {
    const branch = taskBranchName('factory', 1, 2, 'Add parser');
    expect(pushRefusal(branch, branch, 'factory')).toBeUndefined();
    expect(pushRefusal('main', branch, 'factory')).toMatch(/not the task's branch/);
    expect(pushRefusal('other/1-2-x', 'other/1-2-x', 'factory')).toMatch(/not under the prefix/);
    expect(pushRefusal('factory/../main', 'factory/../main', 'factory')).toMatch(/plain branch/);
  });
});
