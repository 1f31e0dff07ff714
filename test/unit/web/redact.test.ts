import { describe, expect, it } from 'vitest';
import { clip, redactSecrets } from '../../../src/web/redact.js';

describe('redactSecrets', () => {
  const ghs = `ghs_${'A1b2'.repeat(9)}`;

  it.each([
    ['an installation token', `token is ${ghs} here`, 'token is [redacted] here'],
    ['a personal token', `ghp_${'x'.repeat(36)}`, '[redacted]'],
    ['a fine-grained token', `github_pat_${'Ab_1'.repeat(10)}`, '[redacted]'],
    ['an Anthropic key', 'key sk-ant-api03-abcdefghijklmnop', 'key [redacted]'],
    [
      'credentials in a remote URL',
      `fatal: https://x-access-token:${ghs}@github.com/a/b.git`,
      'fatal: https://[redacted]@github.com/a/b.git',
    ],
    [
      'a bearer header',
      'Authorization: Bearer abcdefghijklmnopqrstuvwx',
      'Authorization: Bearer [redacted]',
    ],
    [
      'a private key',
      '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY----- after',
      '[redacted] after',
    ],
  ])('masks %s', (_what, input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });

  it('leaves ordinary text alone', () => {
    const text =
      'Merged PR #20 into main after 3 rounds; see https://github.com/acme/widgets/pull/20';
    expect(redactSecrets(text)).toBe(text);
  });
});

describe('clip', () => {
  it('keeps short text and cuts long text with an ellipsis', () => {
    expect(clip('short', 10)).toBe('short');
    expect(clip('a'.repeat(20), 10)).toBe(`${'a'.repeat(9)}…`);
  });
});
