import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * The key a jailed engine is given: random per run, worth nothing outside the
 * proxy and nothing once its run has closed. The engine sends it as
 * `x-api-key` (ANTHROPIC_API_KEY) or as a bearer token.
 */

export function mintRunToken(): string {
  return `factory-run-${randomBytes(24).toString('base64url')}`;
}

export function presentedToken(headers: IncomingHttpHeaders): string | undefined {
  const key = headers['x-api-key'];
  if (typeof key === 'string' && key !== '') return key;
  const bearer = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '');
  return bearer?.[1];
}

export function sameToken(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
