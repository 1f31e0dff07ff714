import { describe, expect, it } from 'vitest';
import {
  buildAgentEnv,
  isSecretName,
  repoAgentEnv,
} from '../../../../src/agents/runtime/agentEnv.js';

const appEnv = {
  PATH: '/usr/bin:/bin',
  HOME: '/home/factory',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
  TERM: 'xterm',
  TMPDIR: '/tmp',
  PRIVATE_KEY: 'pem',
  PRIVATE_KEY_PATH: '/keys/app.pem',
  WEBHOOK_SECRET: 'whsec',
  DATABASE_URL: 'postgres://u:p@db/factory',
  REDIS_URL: 'redis://cache',
  GITHUB_TOKEN: 'ghs_x',
  GH_TOKEN: 'gho_x',
  ANTHROPIC_API_KEY: 'from-process-env',
  APP_ID: '12',
  NODE_ENV: 'production',
  SAMPLE_SETTING: 'ok',
};

describe('buildAgentEnv', () => {
  it('passes only the allow-listed system variables, the model settings and the fixed engine flags', () => {
    const { env } = buildAgentEnv({
      source: appEnv,
      model: { apiKey: 'sk-model', baseUrl: 'http://127.0.0.1:9' },
    });
    expect(env).toEqual({
      PATH: '/usr/bin:/bin',
      HOME: '/home/factory',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      TERM: 'xterm',
      TMPDIR: '/tmp',
      ANTHROPIC_API_KEY: 'sk-model',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:9',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_AUTOUPDATER: '1',
      ENABLE_TOOL_SEARCH: 'false',
    });
  });

  it('keeps IS_SANDBOX when set, and gives the agent its own HOME when asked', () => {
    const { env } = buildAgentEnv({
      source: { ...appEnv, IS_SANDBOX: '1' },
      model: {},
      home: '/data/agent-home',
    });
    expect(env.IS_SANDBOX).toBe('1');
    expect(env.HOME).toBe('/data/agent-home');
    expect(env.ANTHROPIC_API_KEY).toBeUndefined();
  });

  it('adds the variables the repository names but refuses secrets among them', () => {
    const { env, refused } = buildAgentEnv({
      source: appEnv,
      model: {},
      extra: {
        SAMPLE_SETTING: 'ok',
        DATABASE_URL: 'postgres://x',
        NPM_TOKEN: 't',
        AWS_SECRET_ACCESS_KEY: 's',
        ANTHROPIC_BASE_URL: 'http://evil',
        ENABLE_TOOL_SEARCH: 'true',
      },
    });
    expect(env.SAMPLE_SETTING).toBe('ok');
    expect(env.ENABLE_TOOL_SEARCH).toBe('false');
    expect(env.ANTHROPIC_BASE_URL).toBeUndefined();
    expect(refused.sort()).toEqual(
      [
        'ANTHROPIC_BASE_URL',
        'AWS_SECRET_ACCESS_KEY',
        'DATABASE_URL',
        'ENABLE_TOOL_SEARCH',
        'NPM_TOKEN',
      ].sort(),
    );
  });

  it('never lets an engine setting override the fixed flags', () => {
    const { env } = buildAgentEnv({
      source: {},
      model: {},
      engine: { ENABLE_TOOL_SEARCH: 'true', CLAUDE_CODE_MAX_RETRIES: '3' },
    });
    expect(env.ENABLE_TOOL_SEARCH).toBe('false');
    expect(env.CLAUDE_CODE_MAX_RETRIES).toBe('3');
  });
});

describe('isSecretName', () => {
  it.each([
    'PRIVATE_KEY',
    'WEBHOOK_SECRET',
    'DATABASE_URL',
    'REDIS_URL',
    'GITHUB_TOKEN',
    'GH_TOKEN',
    'gh_token',
    'MY_API_KEY',
    'DB_PASSWORD',
    'SENTRY_DSN',
    'NODE_OPTIONS',
  ])('%s is a secret', (name) => expect(isSecretName(name)).toBe(true));
  it.each(['PATH', 'SAMPLE_SETTING', 'NODE_ENV', 'CI', 'LANG'])('%s is not', (name) =>
    expect(isSecretName(name)).toBe(false),
  );
});

describe('repoAgentEnv', () => {
  it('reads the named variables from the app environment, skipping unset ones and refusing secrets', () => {
    expect(
      repoAgentEnv(['SAMPLE_SETTING', 'MISSING', 'GITHUB_TOKEN', 'PRIVATE_KEY'], appEnv),
    ).toEqual({
      env: { SAMPLE_SETTING: 'ok' },
      refused: ['GITHUB_TOKEN', 'PRIVATE_KEY'],
    });
  });
});
