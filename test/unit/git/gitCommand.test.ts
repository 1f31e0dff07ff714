import { describe, expect, it } from 'vitest';
import { forcedGitSettings, gitArguments, gitEnvironment } from '../../../src/git/gitCommand.js';

describe('the environment of the app’s git', () => {
  const host = {
    PATH: '/usr/bin',
    HOME: '/root',
    PRIVATE_KEY: 'key',
    WEBHOOK_SECRET: 'hook',
    DATABASE_URL: 'postgres://u:p@h/d',
    REDIS_URL: 'redis://:p@h',
    ANTHROPIC_API_KEY: 'model',
    GIT_CONFIG_PARAMETERS: "'filter.x.clean'='env'",
    GIT_EXTERNAL_DIFF: 'env',
    GIT_DIR: '/elsewhere',
  };

  it('holds none of the app’s variables, only what git needs and what the app pins', () => {
    const env = gitEnvironment(
      { gitDir: '/m/worktrees/t', commonDir: '/m', workTree: '/w/t' },
      '/w/t',
      { GIT_AUTHOR_NAME: 'bot' },
      host,
    );
    expect(Object.keys(env).sort()).toEqual(
      [
        'PATH',
        'HOME',
        'LC_ALL',
        'GIT_CONFIG_NOSYSTEM',
        'GIT_CONFIG_GLOBAL',
        'GIT_ATTR_NOSYSTEM',
        'GIT_TERMINAL_PROMPT',
        'GIT_ASKPASS',
        'SSH_ASKPASS',
        'GIT_PAGER',
        'GIT_EDITOR',
        'GIT_OPTIONAL_LOCKS',
        'GIT_DIR',
        'GIT_COMMON_DIR',
        'GIT_WORK_TREE',
        'GIT_AUTHOR_NAME',
        'GIT_AUTHOR_EMAIL',
        'GIT_COMMITTER_NAME',
        'GIT_COMMITTER_EMAIL',
      ].sort(),
    );
    expect(env.GIT_DIR).toBe('/m/worktrees/t');
    expect(env.GIT_CONFIG_GLOBAL).toBe('/dev/null');
    expect(env.GIT_AUTHOR_NAME).toBe('bot');
  });

  it('stops git from finding a repository above a folder that is not one', () => {
    const env = gitEnvironment({}, '/w/repos/acme', {}, host);
    expect(env.GIT_DIR).toBeUndefined();
    expect(env.GIT_CEILING_DIRECTORIES).toBe('/w/repos');
  });

  it('puts every forced setting before the caller’s arguments', () => {
    const args = gitArguments(['add', '--all']);
    expect(args.slice(-2)).toEqual(['add', '--all']);
    expect(args).toContain('core.hooksPath=/dev/null');
    expect(args).toContain('core.fsmonitor=false');
    expect(args).toContain('core.attributesFile=/dev/null');
    expect(args.length).toBe(forcedGitSettings.length * 2 + 2);
  });
});

describe('repository config the app never writes', () => {
  it('names every driver and program setting an agent could plant', async () => {
    const { unsafeConfigKeys } = await import('../../../src/git/remoteAuth.js');
    const listing = [
      'core.repositoryformatversion=0',
      'remote.origin.url=https://github.com/acme/app.git',
      'gc.auto=0',
      'filter.x.clean=env',
      'merge.x.driver=env',
      'diff.x.textconv=env',
      'diff.external=env',
      'core.pager=env',
      'core.fsmonitor=env',
      'include.path=/tmp/x',
      'extensions.worktreeconfig=true',
    ].join('\n');
    expect(unsafeConfigKeys(listing)).toEqual([
      'filter.x.clean',
      'merge.x.driver',
      'diff.x.textconv',
      'diff.external',
      'core.pager',
      'core.fsmonitor',
      'include.path',
      'extensions.worktreeconfig',
    ]);
  });
});
