import { redactDeep, redactValues, secretForms, urlPassword } from './redact.js';

/**
 * The secret values this process holds, registered when they come into being:
 * the App's credentials and connection passwords at start-up, each
 * installation token as it is minted, each run's proxy token as it is made.
 * Every edge where the app writes text (GitHub writes, log lines, database
 * rows, the status page) passes it through `redact`. One registry per process,
 * since a secret known to one part must be hidden by all of them.
 */
export class SecretRegistry {
  private readonly values = new Set<string>();
  private ordered: string[] = [];

  add(value: string | undefined): void {
    if (!value) return;
    let changed = false;
    for (const form of secretForms(value)) {
      if (!this.values.has(form)) {
        this.values.add(form);
        changed = true;
      }
    }
    if (changed) this.ordered = [...this.values].sort((a, b) => b.length - a.length);
  }

  /** A short-lived value (a token) forgotten again once it is dead and cannot matter. */
  remove(value: string): void {
    for (const form of secretForms(value)) this.values.delete(form);
    this.ordered = [...this.values].sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    return this.ordered.length === 0 ? text : redactValues(text, this.ordered);
  }

  redactDeep<T>(value: T): T {
    return this.ordered.length === 0 ? value : redactDeep(value, this.ordered);
  }

  get size(): number {
    return this.values.size;
  }
}

export const secrets = new SecretRegistry();

export interface AppSecretSource {
  PRIVATE_KEY?: string;
  WEBHOOK_SECRET?: string;
  DATABASE_URL?: string;
  REDIS_URL?: string;
  ANTHROPIC_API_KEY?: string;
  STATUS_PAGE_TOKEN?: string;
}

/** The app's own secrets, from its validated environment and the key it read. */
export function registerAppSecrets(
  env: AppSecretSource,
  privateKey?: string,
  registry: SecretRegistry = secrets,
): void {
  registry.add(env.PRIVATE_KEY);
  registry.add(privateKey);
  registry.add(env.WEBHOOK_SECRET);
  registry.add(urlPassword(env.DATABASE_URL));
  registry.add(urlPassword(env.REDIS_URL));
  registry.add(env.ANTHROPIC_API_KEY);
  registry.add(env.STATUS_PAGE_TOKEN);
}

/** An installation token, and the Basic credential git sends it as. */
export function registerInstallationToken(token: string, registry: SecretRegistry = secrets): void {
  registry.add(token);
  registry.add(Buffer.from(`x-access-token:${token}`).toString('base64'));
}
