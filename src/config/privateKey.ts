import { readFileSync } from 'node:fs';
import { ConfigError, type Env } from './env.js';

/**
 * The App's private key from PRIVATE_KEY (PEM, PEM with literal "\n", or
 * base64 of the PEM, as hosting platforms tend to store it) or from the file
 * at PRIVATE_KEY_PATH.
 */
export function readPrivateKey(
  env: Pick<Env, 'PRIVATE_KEY' | 'PRIVATE_KEY_PATH'>,
): string | undefined {
  if (env.PRIVATE_KEY) return normalise(env.PRIVATE_KEY, 'PRIVATE_KEY');
  if (!env.PRIVATE_KEY_PATH) return undefined;
  let text: string;
  try {
    text = readFileSync(env.PRIVATE_KEY_PATH, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(
      `Invalid environment — PRIVATE_KEY_PATH: cannot read the file (${reason})`,
    );
  }
  return normalise(text, 'PRIVATE_KEY_PATH');
}

function normalise(value: string, variable: string): string {
  const pem = value.includes('-----BEGIN')
    ? value.replace(/\\n/g, '\n')
    : Buffer.from(value, 'base64').toString('utf8');
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw new ConfigError(
      `Invalid environment — ${variable}: expected a PEM private key (as downloaded from the App's settings)`,
    );
  }
  return pem;
}

/** Where the GitHub REST API is: GITHUB_API_URL (an emulator, say), GitHub Enterprise, or github.com. */
export function githubApiUrl(env: Pick<Env, 'GITHUB_API_URL' | 'GHE_HOST'>): string | undefined {
  if (env.GITHUB_API_URL) return env.GITHUB_API_URL.replace(/\/$/, '');
  if (env.GHE_HOST) return `https://${env.GHE_HOST}/api/v3`;
  return undefined;
}
