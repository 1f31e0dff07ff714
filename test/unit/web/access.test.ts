import { describe, expect, it } from 'vitest';
import {
  accessCookie,
  accessCookieName,
  accessGate,
  bearerToken,
  readCookie,
  sameSecret,
} from '../../../src/web/access.js';

describe('accessGate', () => {
  const token = 's3cret-token-value';

  it('is open when no token is configured', () => {
    const gate = accessGate(undefined);
    expect(gate.enabled).toBe(false);
    expect(gate.decide({})).toEqual({ kind: 'open' });
  });

  it('denies a request with nothing', () => {
    expect(accessGate(token).decide({})).toEqual({ kind: 'denied', reason: 'token required' });
  });

  it('allows the right bearer token and denies a wrong one', () => {
    const gate = accessGate(token);
    expect(gate.decide({ authorization: `Bearer ${token}` })).toEqual({ kind: 'allowed' });
    expect(gate.decide({ authorization: 'Bearer nope' }).kind).toBe('denied');
    expect(gate.decide({ authorization: `Basic ${token}` }).kind).toBe('denied');
  });

  it('grants a cookie for the right query token, whose value is not the token', () => {
    const gate = accessGate(token);
    const decision = gate.decide({ queryToken: token });
    expect(decision.kind).toBe('grant');
    if (decision.kind !== 'grant') return;
    expect(decision.cookieValue).not.toContain(token);
    expect(decision.cookieValue).toMatch(/^[0-9a-f]{64}$/);
    const cookie = `other=1; ${accessCookieName}=${decision.cookieValue}`;
    expect(gate.decide({ cookie })).toEqual({ kind: 'allowed' });
  });

  it('denies a wrong query token even with a good cookie', () => {
    const gate = accessGate(token);
    const grant = gate.decide({ queryToken: token });
    if (grant.kind !== 'grant') throw new Error('expected a grant');
    const cookie = `${accessCookieName}=${grant.cookieValue}`;
    expect(gate.decide({ queryToken: 'wrong', cookie }).kind).toBe('denied');
    expect(gate.decide({ queryToken: '', cookie }).kind).toBe('denied');
  });

  it('denies a cookie made for another token', () => {
    const other = accessGate('another-token').decide({ queryToken: 'another-token' });
    if (other.kind !== 'grant') throw new Error('expected a grant');
    const decision = accessGate(token).decide({
      cookie: `${accessCookieName}=${other.cookieValue}`,
    });
    expect(decision).toEqual({ kind: 'denied', reason: 'stale cookie' });
  });
});

describe('helpers', () => {
  it('compares secrets of any length', () => {
    expect(sameSecret('abc', 'abc')).toBe(true);
    expect(sameSecret('abc', 'abcd')).toBe(false);
    expect(sameSecret('', 'abc')).toBe(false);
  });

  it('reads bearer tokens and cookies', () => {
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('Bearer')).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
    expect(readCookie('a=1; b=2', 'b')).toBe('2');
    expect(readCookie('ab=1', 'b')).toBeNull();
  });

  it('makes an HttpOnly cookie scoped to the page, Secure over https', () => {
    expect(accessCookie('v', false)).toBe(
      `${accessCookieName}=v; Path=/factory; HttpOnly; SameSite=Lax; Max-Age=2592000`,
    );
    expect(accessCookie('v', true)).toMatch(/; Secure$/);
  });
});
