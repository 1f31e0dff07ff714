import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/logger.js';

/** What the logger printed, one parsed JSON object per line, keeping duplicate keys visible. */
function capture() {
  const raw: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    raw.push(String(chunk));
    return true;
  });
  return raw;
}

afterEach(() => vi.restoreAllMocks());

describe('the app logger', () => {
  it('prints each field once, the innermost child’s name winning', () => {
    const raw = capture();
    const log = createLogger('info');
    log.child({ name: 'server' }).child({ name: 'probot', epicId: 3 }).info('hello');
    const line = raw.join('');
    expect(line.match(/"name"/g)).toHaveLength(1);
    expect(JSON.parse(line)).toMatchObject({ name: 'probot', epicId: 3, msg: 'hello' });
  });

  it('keeps the level and the redaction in every child', () => {
    const raw = capture();
    const log = createLogger('warn');
    const child = log.child({ name: 'queue' });
    child.info('not printed');
    child.child({ name: 'job' }).warn({ token: 'ghs_secret' }, 'printed');
    expect(raw).toHaveLength(1);
    expect(raw[0]).not.toContain('ghs_secret');
    expect(JSON.parse(raw[0] ?? '{}')).toMatchObject({ token: '[redacted]', msg: 'printed' });
  });
});
