import { describe, expect, it } from 'vitest';
import { redactDeep, redactValues, secretForms, urlPassword } from '../../../src/secrets/redact.js';
import {
  registerAppSecrets,
  registerInstallationToken,
  SecretRegistry,
} from '../../../src/secrets/registry.js';

const body = [
  'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun',
  'VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK',
];
const pem = `-----BEGIN RSA PRIVATE KEY-----\n${body.join('\n')}\n-----END RSA PRIVATE KEY-----\n`;

describe('redactValues', () => {
  it('replaces every occurrence of each value, longest first', () => {
    expect(
      redactValues('a secret-value-1 b secret-value-1x', ['secret-value-1x', 'secret-value-1']),
    ).toBe('a [redacted] b [redacted]');
  });

  it('leaves values too short to be secrets alone', () => {
    expect(redactValues('the word pass', ['pass'])).toBe('the word pass');
  });

  it('redacts strings at any depth and keeps other values', () => {
    const out = redactDeep({ a: ['x secret-value-1'], b: { c: 'secret-value-1', n: 3 } }, [
      'secret-value-1',
    ]);
    expect(out).toEqual({ a: ['x [redacted]'], b: { c: '[redacted]', n: 3 } });
  });
});

describe('the forms of a secret', () => {
  it('covers a private key as PEM, with literal \\n, as base64, on one line and line by line', () => {
    const forms = secretForms(pem);
    expect(forms).toContain(pem.trim());
    expect(forms).toContain(pem.trim().replace(/\n/g, '\\n'));
    expect(forms).toContain(Buffer.from(pem, 'utf8').toString('base64'));
    expect(forms).toContain(body.join(''));
    for (const line of body) expect(forms).toContain(line);
  });

  it('takes the password out of a connection URL', () => {
    expect(urlPassword('postgres://factory:s%40cret-pass@db:5432/f')).toBe('s@cret-pass');
    expect(urlPassword('redis://127.0.0.1:6379')).toBeUndefined();
    expect(urlPassword('not a url')).toBeUndefined();
  });
});

describe('the registry', () => {
  it('redacts every app secret it was given, in each form, and nothing else', () => {
    const registry = new SecretRegistry();
    registerAppSecrets(
      {
        PRIVATE_KEY: Buffer.from(pem).toString('base64'),
        WEBHOOK_SECRET: 'hook-secret-123',
        DATABASE_URL: 'postgres://u:db-password-9@h/d',
        REDIS_URL: 'redis://:redis-password-7@h:6379',
        ANTHROPIC_API_KEY: 'sk-model-key-55',
        STATUS_PAGE_TOKEN: 'status-token-44',
      },
      pem,
      registry,
    );
    registerInstallationToken('ghs_minted_token_abcdef', registry);
    const leak = [
      `env: PRIVATE_KEY=${pem.replace(/\n/g, '\\n')}`,
      `one line ${body[1]}`,
      'WEBHOOK_SECRET=hook-secret-123',
      'postgres://u:db-password-9@h/d',
      'redis://:redis-password-7@h:6379',
      'x-api-key: sk-model-key-55',
      'token=status-token-44',
      'https://x-access-token:ghs_minted_token_abcdef@github.com',
      `Authorization: Basic ${Buffer.from('x-access-token:ghs_minted_token_abcdef').toString('base64')}`,
      'an ordinary line',
    ].join('\n');
    const out = registry.redact(leak);
    for (const value of [
      body[0]!,
      body[1]!,
      'hook-secret-123',
      'db-password-9',
      'redis-password-7',
      'sk-model-key-55',
      'status-token-44',
      'ghs_minted_token_abcdef',
    ])
      expect(out).not.toContain(value);
    expect(out).toContain('an ordinary line');
    expect(out).toContain('postgres://u:[redacted]@h/d');
  });

  it('forgets a token that was removed', () => {
    const registry = new SecretRegistry();
    registry.add('run-token-12345');
    registry.remove('run-token-12345');
    expect(registry.redact('run-token-12345')).toBe('run-token-12345');
  });
});
