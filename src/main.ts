import { existsSync } from 'node:fs';
import {
  ConfigError,
  hasAppCredentials,
  missingCredentialsLine,
  parseEnv,
  type Env,
} from './config/env.js';
import { createLogger, type Logger } from './logger.js';

/**
 * `npm start`. A bad environment stops here with one line naming the variable
 * (before the rest of the app is even loaded); without App credentials
 * Probot's setup flow registers the App from app.yml — except in production,
 * where missing credentials stop start-up with one line.
 */
async function main() {
  // Probot's setup flow writes the new App's credentials to .env; a plain restart picks them up.
  if (existsSync('.env')) process.loadEnvFile('.env');
  const env = parseEnvOrExit();
  const log = createLogger(env.LOG_LEVEL);
  if (!hasAppCredentials(env)) {
    if (env.NODE_ENV === 'production') exitWith(missingCredentialsLine(env));
    await runSetupFlow(env, log);
    return;
  }
  try {
    const { startFactory } = await import('./startup.js');
    const { onShutdownSignal } = await import('./queues/workers.js');
    const factory = await startFactory(env, log);
    onShutdownSignal(() => factory.stop(), log);
  } catch (error) {
    exitWith(`Factory could not start: ${describe(error)}`);
  }
}

/**
 * Probot's setup flow: a page that registers the App from app.yml and writes
 * its credentials to .env. Probot would also fetch smee-client with npx to
 * make a smee.io webhook channel — which needs the internet and failed with
 * an unexplained "SmeeClient is not available" where there is none — so that
 * is opt-in (`NO_SMEE_SETUP=false`), and the line below says what it is for.
 */
async function runSetupFlow(env: Env, log: Logger) {
  log.warn(
    `No GitHub App credentials (APP_ID, PRIVATE_KEY, WEBHOOK_SECRET): open http://localhost:${env.PORT} to register the App from app.yml`,
  );
  if (process.env.WEBHOOK_PROXY_URL === undefined && process.env.NO_SMEE_SETUP === undefined) {
    process.env.NO_SMEE_SETUP = 'true';
    log.info(
      'GitHub must reach this server at /api/github/webhooks: deploy it at a public URL, or for local development set WEBHOOK_PROXY_URL to a smee.io channel (NO_SMEE_SETUP=false makes one, over the internet)',
    );
  }
  const { run } = await import('probot');
  await run(() => undefined, { env: { ...process.env, PORT: String(env.PORT) }, log });
}

function parseEnvOrExit(): Env {
  try {
    return parseEnv();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    exitWith(error.message);
  }
}

/** Start-up failures are one line on stderr and exit code 1: no stack trace for the operator to read. */
function exitWith(line: string): never {
  console.error(line);
  process.exit(1);
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.message.split('\n')[0] ?? error.name) : String(error);
}

await main();
