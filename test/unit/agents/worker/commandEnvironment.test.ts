import { describe, expect, it } from 'vitest';
import {
  commandEnvironment,
  loggedCommandEnvironment,
} from '../../../../src/agents/worker/commands.js';
import { parseRepoConfig } from '../../../../src/config/repoConfig.js';

const source = {
  PATH: '/usr/bin',
  PRIVATE_KEY: 'canary-key',
  WEBHOOK_SECRET: 'canary-hook',
  NPM_TOKEN: 'canary-npm',
  DATABASE_URL: 'postgres://u:canary@h/d',
  FEATURE_FLAG: 'on',
};

describe('the environment of setup and test commands', () => {
  it('refuses secret-looking agentEnv names exactly as for agents, and passes the rest', () => {
    const { env, refused } = commandEnvironment(
      ['PRIVATE_KEY', 'WEBHOOK_SECRET', 'NPM_TOKEN', 'DATABASE_URL', 'FEATURE_FLAG'],
      source,
    );
    expect(refused).toEqual(['PRIVATE_KEY', 'WEBHOOK_SECRET', 'NPM_TOKEN', 'DATABASE_URL']);
    expect(env.FEATURE_FLAG).toBe('on');
    expect(Object.values(env).join('\n')).not.toMatch(/canary/);
  });

  it('says in the log which names it refused', () => {
    const warnings: unknown[] = [];
    loggedCommandEnvironment(
      ['PRIVATE_KEY'],
      { warn: (...args: unknown[]) => warnings.push(args) },
      {
        task: 3,
      },
    );
    expect(JSON.stringify(warnings)).toContain('PRIVATE_KEY');
  });
});

describe('agentEnv in .github/factory.yml', () => {
  it('is a config problem, naming the variable, when it lists a secret-looking name', () => {
    const result = parseRepoConfig({ agentEnv: ['FEATURE_FLAG', 'PRIVATE_KEY'] });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.join('\n')).toMatch(/PRIVATE_KEY looks like a secret/);
  });

  it('accepts plain names', () => {
    expect(parseRepoConfig({ agentEnv: ['FEATURE_FLAG'] }).ok).toBe(true);
  });
});
