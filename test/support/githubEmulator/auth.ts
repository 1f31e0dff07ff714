import { createVerify, generateKeyPairSync, randomBytes } from 'node:crypto';
import { HttpError } from './http.js';
import type { UserRecord } from './records.js';

/** The App's key pair; the private half is what the app is configured with, as on GitHub. */
export function generateAppKeys() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKey, publicKey };
}

const fromBase64Url = (text: string) => Buffer.from(text, 'base64url');

/**
 * Checks an App JWT as GitHub does: RS256 signed with the App's key, issued
 * by the App id, not expired, not issued in the future, at most ten minutes long.
 */
export function verifyAppJwt(jwt: string, publicKey: string, appId: number, now = Date.now()) {
  const [header, payload, signature] = jwt.split('.');
  if (!header || !payload || !signature)
    throw new HttpError(401, 'A JSON web token could not be decoded');
  const verifier = createVerify('RSA-SHA256');
  verifier.update(`${header}.${payload}`);
  if (!verifier.verify(publicKey, fromBase64Url(signature))) {
    throw new HttpError(401, "'Issuer' claim ('iss') must be an Integer or signature is invalid");
  }
  const claims = JSON.parse(fromBase64Url(payload).toString('utf8')) as {
    iss?: unknown;
    iat?: unknown;
    exp?: unknown;
  };
  const seconds = Math.floor(now / 1000);
  if (String(claims.iss) !== String(appId))
    throw new HttpError(401, "'Issuer' claim ('iss') is not this App");
  if (typeof claims.exp !== 'number' || claims.exp <= seconds) {
    throw new HttpError(401, "'Expiration time' claim ('exp') is too far in the future or expired");
  }
  if (
    typeof claims.iat !== 'number' ||
    claims.iat > seconds + 60 ||
    claims.exp - claims.iat > 600
  ) {
    throw new HttpError(
      401,
      "'Issued at' claim ('iat') must be an Integer representing a time in the past",
    );
  }
}

export type TokenOwner =
  { kind: 'installation'; installationId: number } | { kind: 'user'; user: UserRecord };

interface IssuedToken {
  owner: TokenOwner;
  expiresAt: number;
}

/** Installation tokens (short-lived) and personal tokens for the people in a test. */
export class TokenBook {
  private readonly tokens = new Map<string, IssuedToken>();

  constructor(private readonly installationTokenTtlMs: number) {}

  issueInstallationToken(
    installationId: number,
    ttlMs = this.installationTokenTtlMs,
    now = Date.now(),
  ) {
    const token = `ghs_${randomBytes(18).toString('base64url')}`;
    const expiresAt = now + ttlMs;
    this.tokens.set(token, { owner: { kind: 'installation', installationId }, expiresAt });
    return { token, expiresAt: new Date(expiresAt) };
  }

  personalToken(user: UserRecord): string {
    for (const [token, issued] of this.tokens) {
      if (issued.owner.kind === 'user' && issued.owner.user.login === user.login) return token;
    }
    const token = `ghp_${randomBytes(18).toString('base64url')}`;
    this.tokens.set(token, { owner: { kind: 'user', user }, expiresAt: Number.POSITIVE_INFINITY });
    return token;
  }

  /** Throws 401 "Bad credentials" for an unknown or expired token, as GitHub does. */
  resolve(token: string, now = Date.now()): TokenOwner {
    const issued = this.tokens.get(token);
    if (!issued || issued.expiresAt <= now) throw new HttpError(401, 'Bad credentials');
    return issued.owner;
  }

  /** Ends a token's life now, as revoking it on GitHub does. */
  revoke(token: string) {
    this.tokens.delete(token);
  }
}

/** Splits `Authorization` into its scheme and credential. */
export function readAuthorization(header: string | undefined) {
  if (!header) return undefined;
  const [scheme = '', ...rest] = header.trim().split(/\s+/);
  return { scheme: scheme.toLowerCase(), credential: rest.join(' ') };
}
