/**
 * The environment of an agent's Claude Code subprocess, built from an
 * allow-list (the SDK's `env` option replaces the subprocess environment, it
 * is not merged). Nothing of the app's own secrets gets through: the App's
 * private key, the webhook secret, the database and Redis URLs and any GitHub
 * token are refused by name, and so is any name that looks like a secret —
 * even when the repository's `.github/factory.yml` lists it under `agentEnv`.
 */

import { isSecretName } from '../../config/secretNames.js';

export { isSecretName };

type Source = Readonly<Record<string, string | undefined>>;

/** Passed through from the app's environment when set. */
const systemNames = ['PATH', 'HOME', 'LANG', 'LANGUAGE', 'TERM', 'TMPDIR', 'TZ', 'USER', 'SHELL'];

/** Set for every agent: no telemetry, auto-update or other calls home; Factory tools listed directly. */
export const fixedAgentEnv: Readonly<Record<string, string>> = {
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  DISABLE_AUTOUPDATER: '1',
  ENABLE_TOOL_SEARCH: 'false',
};

export interface AgentEnvInput {
  /** The app's own environment (process.env). */
  source: Source;
  /** The model's key and address (from the app's validated config). */
  model: { apiKey?: string; baseUrl?: string };
  /** Extra variables for this agent: the ones the repository config names, with their values. */
  extra?: Readonly<Record<string, string>>;
  /**
   * The agent's own home folder. The app's HOME holds files an agent must not
   * read (~/.npmrc, ~/.ssh, ~/.config/gh, a slow ~/.bashrc); a clean one
   * keeps them out of the environment's reach by default.
   */
  home?: string;
  /** Engine settings the runner chooses (e.g. CLAUDE_CODE_MAX_RETRIES). */
  engine?: Readonly<Record<string, string>>;
}

export interface AgentEnv {
  env: Record<string, string>;
  /** Names asked for but refused as secrets, for the log. */
  refused: string[];
}

export function buildAgentEnv(input: AgentEnvInput): AgentEnv {
  const env: Record<string, string> = {};
  const refused: string[] = [];
  for (const [name, value] of Object.entries(input.source)) {
    if (value === undefined) continue;
    if (systemNames.includes(name) || name.startsWith('LC_')) env[name] = value;
  }
  if (input.home) env.HOME = input.home;
  // Claude Code refuses bypass-permissions mode as root unless told it runs in a sandbox.
  if (input.source.IS_SANDBOX) env.IS_SANDBOX = input.source.IS_SANDBOX;
  for (const [name, value] of Object.entries(input.extra ?? {})) {
    if (isSecretName(name) || name in fixedAgentEnv || name.startsWith('ANTHROPIC_')) {
      refused.push(name);
    } else {
      env[name] = value;
    }
  }
  Object.assign(env, input.engine ?? {}, fixedAgentEnv);
  if (input.model.apiKey) env.ANTHROPIC_API_KEY = input.model.apiKey;
  if (input.model.baseUrl) env.ANTHROPIC_BASE_URL = input.model.baseUrl;
  return { env, refused };
}

/**
 * The variables the repository config names (`agentEnv`), with their values
 * from the app's environment; unset ones are skipped, secret-looking ones
 * are refused here and again in `buildAgentEnv`.
 */
export function repoAgentEnv(names: readonly string[], source: Source): AgentEnv {
  const env: Record<string, string> = {};
  const refused: string[] = [];
  for (const name of names) {
    const value = source[name];
    if (isSecretName(name)) refused.push(name);
    else if (value !== undefined) env[name] = value;
  }
  return { env, refused };
}
