import { describe, expect, it } from 'vitest';
import { isLoopback, statusPageExposure } from '../../../src/web/exposure.js';

describe('who may read the status page', () => {
  it('asks for the token whenever one is set, whatever the address', () => {
    expect(statusPageExposure({ host: '0.0.0.0', token: 't', publicPage: true })).toEqual({
      kind: 'token',
      token: 't',
    });
    expect(statusPageExposure({ host: '127.0.0.1', token: 't', publicPage: false }).kind).toBe(
      'token',
    );
  });

  it('is open without a token on loopback only', () => {
    expect(statusPageExposure({ host: '127.0.0.1', publicPage: false })).toEqual({
      kind: 'open',
      because: 'loopback',
    });
    const closed = statusPageExposure({ host: '0.0.0.0', publicPage: false });
    expect(closed.kind).toBe('closed');
    expect(closed.kind === 'closed' && closed.reason).toMatch(
      /0\.0\.0\.0 .*STATUS_PAGE_TOKEN.*STATUS_PAGE_PUBLIC=true/,
    );
  });

  it('is open to all only when STATUS_PAGE_PUBLIC says so', () => {
    expect(statusPageExposure({ host: '::', publicPage: true })).toEqual({
      kind: 'open',
      because: 'public',
    });
  });

  it('knows loopback addresses and nothing else as loopback', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST']) {
      expect(isLoopback(host), host).toBe(true);
    }
    for (const host of [
      '0.0.0.0',
      '::',
      '10.0.0.1',
      '128.0.0.1',
      'example.com',
      '127.0.0.1.nip.io',
    ]) {
      expect(isLoopback(host), host).toBe(false);
    }
  });
});
