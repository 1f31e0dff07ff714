import { createHmac, createHash, timingSafeEqual } from 'node:crypto';

/**
 * The optional access token. When configured, a request is let in by an
 * `Authorization: Bearer <token>` header or by the cookie that a one-time
 * `?token=<token>` sets. The cookie holds an HMAC of the token, not the token,
 * and every comparison takes the same time whatever the input.
 */
export interface AccessRequest {
  authorization?: string;
  cookie?: string;
  queryToken?: string | null;
}

export type AccessDecision =
  | { kind: 'open' }
  | { kind: 'allowed' }
  /** The query token was right: set the cookie and send the browser on without the token. */
  | { kind: 'grant'; cookieValue: string }
  | { kind: 'denied'; reason: string }
  /** No token can open it: the page is closed until the operator configures access. */
  | { kind: 'closed'; reason: string };

export const accessCookieName = 'factory_status';

export interface AccessGate {
  readonly enabled: boolean;
  decide(request: AccessRequest): AccessDecision;
}

export function accessGate(token: string | undefined, closedReason?: string): AccessGate {
  if (!token) {
    if (closedReason !== undefined) {
      return { enabled: true, decide: () => ({ kind: 'closed', reason: closedReason }) };
    }
    return { enabled: false, decide: () => ({ kind: 'open' }) };
  }
  const cookieValue = createHmac('sha256', token)
    .update('factory status page cookie')
    .digest('hex');
  return {
    enabled: true,
    decide(request) {
      if (request.queryToken !== undefined && request.queryToken !== null) {
        return sameSecret(request.queryToken, token)
          ? { kind: 'grant', cookieValue }
          : { kind: 'denied', reason: 'wrong token' };
      }
      const bearer = bearerToken(request.authorization);
      if (bearer !== null) {
        return sameSecret(bearer, token)
          ? { kind: 'allowed' }
          : { kind: 'denied', reason: 'wrong token' };
      }
      const cookie = readCookie(request.cookie, accessCookieName);
      if (cookie !== null && sameSecret(cookie, cookieValue)) return { kind: 'allowed' };
      return { kind: 'denied', reason: cookie === null ? 'token required' : 'stale cookie' };
    },
  };
}

/** Compares digests, so neither the length nor the content of the guess leaks through timing. */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1] ?? null;
}

export function readCookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return null;
}

export function accessCookie(value: string, secure: boolean): string {
  const attributes = [
    `${accessCookieName}=${value}`,
    'Path=/factory',
    'HttpOnly',
    // Lax: a link from a GitHub comment to the page still carries the cookie.
    'SameSite=Lax',
    `Max-Age=${30 * 24 * 3600}`,
  ];
  if (secure) attributes.push('Secure');
  return attributes.join('; ');
}
