import { z } from 'zod';

/**
 * The process environment, parsed once at start-up. A missing or malformed
 * value stops start-up with one line naming the variable (see `parseEnv`).
 *
 * GitHub App credentials are optional as a group: without them `npm start`
 * runs Probot's setup flow from app.yml instead of the app.
 */

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
/** An empty variable (`FOO=`) counts as unset, as it does for most tools. */
const blankAsUnset = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;
const optionalText = z.preprocess(blankAsUnset, z.string().optional());

export const roles = ['all', 'web', 'worker'] as const;
export type ProcessRole = (typeof roles)[number];

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
  FACTORY_ROLE: z.enum(roles).default('all'),
  PORT: positiveInt(3000),
  HOST: z.string().default('0.0.0.0'),

  APP_ID: z.preprocess(blankAsUnset, z.coerce.number().int().positive().optional()),
  PRIVATE_KEY: optionalText,
  PRIVATE_KEY_PATH: optionalText,
  WEBHOOK_SECRET: optionalText,
  GHE_HOST: optionalText,
  /** Base URL of the GitHub REST API; set to a GitHub emulator in the demo and tests. */
  GITHUB_API_URL: z.preprocess(blankAsUnset, z.url().optional()),
  /** GitHub's web pages, which the status page links to; the emulator's address in the demo. */
  GITHUB_WEB_URL: z.preprocess(blankAsUnset, z.url().default('https://github.com')),
  /**
   * Octokit spaces the writes that create content (about one a second), as
   * GitHub asks, to stay clear of its secondary rate limits. `off` only for a
   * GitHub Enterprise Server without those limits, or the emulator.
   */
  GITHUB_WRITE_THROTTLE: z.enum(['on', 'off']).default('on'),
  /** The App's bot login, e.g. `factory-app[bot]`; looked up from the API when unset. */
  BOT_LOGIN: optionalText,

  DATABASE_URL: z.preprocess(
    blankAsUnset,
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'a postgres:// or postgresql:// URL')
      .optional(),
  ),
  /** Where embedded PGlite keeps its files when DATABASE_URL is unset. */
  FACTORY_DATA_DIR: z.string().default('.data'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL')
    .default('redis://127.0.0.1:6379'),
  /** Key prefix of every BullMQ queue, so several Factories (or tests) share one Redis. */
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _')
    .default('factory'),

  ANTHROPIC_API_KEY: optionalText,
  ANTHROPIC_BASE_URL: z.preprocess(blankAsUnset, z.url().optional()),
  MODEL_ORCHESTRATOR: z.string().default('claude-sonnet-4-5'),
  MODEL_SUPERVISOR: z.string().default('claude-sonnet-4-5'),
  MODEL_WORKER: z.string().default('claude-sonnet-4-5'),

  WORKTREE_DIR: z.string().default('.data/worktrees'),
  MAX_CONCURRENT_AGENTS: positiveInt(4),
  MAX_AGENTS_PER_INSTALLATION: positiveInt(4),
  AGENT_TIMEOUT_SECONDS: positiveInt(1800),
  AGENT_MAX_TURNS: positiveInt(200),
  /** The most one agent run may spend on the model, enforced by the model proxy (USD). */
  AGENT_RUN_BUDGET_USD: z.coerce.number().positive().default(10),
  /** Optionally also a token cap per run (every kind of token counted). */
  AGENT_RUN_BUDGET_TOKENS: z.preprocess(
    blankAsUnset,
    z.coerce.number().int().positive().optional(),
  ),
  /**
   * `on` (default): every agent run and repository command runs in a bubblewrap jail, and
   * none runs when the jail cannot start. `off`: unjailed, with a warning at every run and
   * a banner on the status page — only for machines where the jail cannot work.
   */
  AGENT_SANDBOX: z.enum(['on', 'off']).default('on'),
  /** The bubblewrap binary; default: `bwrap` on PATH. */
  AGENT_SANDBOX_BWRAP: optionalText,
  HEALTH_INTERVAL_SECONDS: positiveInt(60),
  RECONCILE_INTERVAL_SECONDS: positiveInt(300),
  HEARTBEAT_TIMEOUT_SECONDS: positiveInt(300),
  /** How often a worker looks for deliveries the web process kept in the outbox while Redis was down. */
  OUTBOX_DRAIN_INTERVAL_SECONDS: positiveInt(5),
  /** A crash loop: this many agent failures of one epic within CRASH_LOOP_WINDOW_MINUTES park it BLOCKED. */
  CRASH_LOOP_FAILURES: positiveInt(3),
  CRASH_LOOP_WINDOW_MINUTES: positiveInt(15),
  /** The most GitHub API requests one reconciliation pass makes; the rest waits for the next pass. */
  RECONCILE_MAX_API_CALLS: positiveInt(100),

  /** When set, the status page and its API require this token. */
  STATUS_PAGE_TOKEN: optionalText,
  /**
   * Without a token the status page is open only on a loopback HOST; `true`
   * opens it to anyone who can reach the port (see src/web/exposure.ts).
   */
  STATUS_PAGE_PUBLIC: z.enum(['true', 'false']).default('false'),
  /**
   * Crash tests and the recovery bench only: the process kills itself at this
   * named point of the merge queue (`review`, `merge`, …; `#n` for the n-th
   * time). See src/crashPoint.ts.
   */
  FACTORY_CRASH_AT: optionalText,
});

export type Env = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; throws a ConfigError whose message is one line per bad variable. */
export function parseEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const result = envSchema.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const variable = issue.path.join('.') || '(environment)';
      return `${variable}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid environment — ${lines.join('; ')}`);
  }
  const env = result.data;
  const credentials = [env.APP_ID, env.PRIVATE_KEY ?? env.PRIVATE_KEY_PATH, env.WEBHOOK_SECRET];
  const given = credentials.filter((value) => value !== undefined).length;
  if (given > 0 && given < credentials.length) {
    throw new ConfigError(
      'Invalid environment — APP_ID, PRIVATE_KEY (or PRIVATE_KEY_PATH) and WEBHOOK_SECRET must be set together; unset all three to run the setup flow',
    );
  }
  return env;
}

export function hasAppCredentials(env: Env): boolean {
  return env.APP_ID !== undefined && env.WEBHOOK_SECRET !== undefined;
}

/** Production never runs the setup flow: what to set instead, in one line. */
export function missingCredentialsLine(env: Pick<Env, 'NODE_ENV'>): string {
  return `Factory cannot start in ${env.NODE_ENV}: no GitHub App credentials. Set APP_ID, PRIVATE_KEY (or PRIVATE_KEY_PATH) and WEBHOOK_SECRET — register the App once with \`npm start\` outside production, which writes them to .env`;
}
