import { describe, expect, it } from 'vitest';
import { checkShellCommand } from '../../../../src/agents/runtime/shellGuard.js';
import { decideToolUse, rolePolicy } from '../../../../src/agents/runtime/toolPolicy.js';

const workspace = {
  root: '/work/trees/task-7',
  home: '/home/agent',
  readable: ['/home/agent/.claude/projects'],
};

describe('rolePolicy', () => {
  it('offers the orchestrator nothing, the supervisor read tools, the worker everything it codes with', () => {
    expect(rolePolicy('orchestrator')).toEqual({ builtInTools: [], permissionMode: 'default' });
    expect(rolePolicy('supervisor').builtInTools).toEqual(['Read', 'Grep', 'Glob', 'LS']);
    expect(rolePolicy('supervisor').permissionMode).toBe('default');
    expect(rolePolicy('worker').permissionMode).toBe('bypassPermissions');
    expect(rolePolicy('worker').builtInTools).toEqual(
      expect.arrayContaining(['Bash', 'Write', 'Edit', 'Read']),
    );
    expect(rolePolicy('worker').builtInTools).not.toContain('EnterWorktree');
  });
});

describe('decideToolUse', () => {
  const allowed = { allow: true };
  it('lets every role call its Factory tools', () => {
    for (const role of ['orchestrator', 'supervisor', 'worker'] as const) {
      expect(decideToolUse(role, workspace, 'mcp__factory__submit_plan', {})).toEqual(allowed);
    }
  });

  it('refuses code tools to the orchestrator and writes and shell to the supervisor', () => {
    expect(
      decideToolUse('orchestrator', workspace, 'Read', { file_path: '/work/trees/task-7/a' }),
    ).toMatchObject({ allow: false });
    expect(
      decideToolUse('supervisor', workspace, 'Write', { file_path: '/work/trees/task-7/a' }),
    ).toMatchObject({
      allow: false,
      reason: expect.stringContaining('read-only'),
    });
    expect(decideToolUse('supervisor', workspace, 'Bash', { command: 'ls' })).toMatchObject({
      allow: false,
    });
    expect(decideToolUse('supervisor', workspace, 'Read', { file_path: 'src/a.ts' })).toEqual(
      allowed,
    );
    expect(decideToolUse('supervisor', workspace, 'mcp__other__tool', {})).toMatchObject({
      allow: false,
    });
  });

  it("keeps the worker's file tools inside its worktree", () => {
    expect(
      decideToolUse('worker', workspace, 'Write', { file_path: '/work/trees/task-7/src/a.ts' }),
    ).toEqual(allowed);
    expect(decideToolUse('worker', workspace, 'Edit', { file_path: 'src/a.ts' })).toEqual(allowed);
    expect(
      decideToolUse('worker', workspace, 'Write', { file_path: '/work/trees/task-8/a.ts' }),
    ).toMatchObject({ allow: false });
    expect(
      decideToolUse('worker', workspace, 'Write', { file_path: '../task-8/a.ts' }),
    ).toMatchObject({ allow: false });
    expect(
      decideToolUse('worker', workspace, 'Write', { file_path: '/work/trees/task-7-evil/a.ts' }),
    ).toMatchObject({ allow: false });
    expect(
      decideToolUse('worker', workspace, 'NotebookEdit', { notebook_path: '~/n.ipynb' }),
    ).toMatchObject({ allow: false });
    expect(decideToolUse('worker', workspace, 'Read', { file_path: '/etc/passwd' })).toMatchObject({
      allow: false,
    });
    expect(
      decideToolUse('worker', workspace, 'Read', {
        file_path: '/home/agent/.claude/projects/x/out.txt',
      }),
    ).toEqual(allowed);
    expect(decideToolUse('worker', workspace, 'Grep', { pattern: 'x', path: '/' })).toMatchObject({
      allow: false,
    });
  });
});

describe('checkShellCommand', () => {
  const ok = (command: string) =>
    expect(checkShellCommand(command, workspace), command).toEqual({ allow: true });
  const refused = (command: string) =>
    expect(checkShellCommand(command, workspace).allow, command).toBe(false);

  it('allows ordinary work inside the worktree', () => {
    ok('npm test');
    ok('git status --short && git add -A');
    ok('cd src && ls -la && cd ..');
    ok('echo hi > notes.txt 2>&1');
    ok('npm test > /dev/null 2>&1');
    ok('mkdir -p src/lib && touch src/lib/a.ts');
    ok('cp /etc/hosts ./hosts-copy');
    ok("grep -rn 'cd /' src");
    ok('sed -i s/a/b/ src/a.ts');
    ok('cat README.md | head -5');
    ok('cd /work/trees/task-7/src');
  });

  it('refuses leaving the worktree with cd', () => {
    refused('cd /tmp && touch x');
    refused('cd .. && rm -rf task-8');
    refused('cd');
    refused('cd ~');
    refused('cd -');
    refused('cd src && cd ../../task-8');
    refused('pushd /etc');
  });

  it('refuses writes aimed outside the worktree', () => {
    refused('echo x > /tmp/out.txt');
    refused('echo x >> ~/.bashrc');
    refused('echo x 2> ../err.log');
    refused('rm -rf /work/trees/task-8');
    refused('touch $HOME/x');
    refused('mkdir /opt/thing');
    refused('cp src/a.ts /tmp/');
    refused('mv a.txt ../a.txt');
    refused('tee /etc/hosts < a');
    refused('sed -i s/a/b/ /etc/hosts');
    refused('git -C /work/trees/task-8 commit -m x');
    refused('git --work-tree=/tmp status');
    refused('dd if=/dev/zero of=/tmp/disk bs=1 count=1');
    refused('rm -rf "$TARGET"');
    refused('sudo rm /etc/passwd');
    refused('FOO=1 rm /etc/passwd');
  });

  it("refuses reading other processes' environments", () => {
    refused('cat /proc/1/environ');
    refused('strings /proc/self/environ');
  });
});
