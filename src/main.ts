import { existsSync } from 'node:fs';
import { ConfigError, hasAppCredentials, parseEnv, type Env } from './config/env.js';
import { createLogger } from './logger.js';

/**
 * `npm start`. A bad environment stops here with one line naming the variable
 * (before the rest of the app is even loaded); without App credentials
 * Probot's setup flow registers the App from app.yml.
 */
async function main() {
  // Probot's setup flow writes the new App's credentials to .env; a plain restart picks them up.
  if (existsSync('.env')) process.loadEnvFile('.env');
  const env = parseEnvOrExit();
  const log = createLogger(env.LOG_LEVEL);
  if (!hasAppCredentials(env)) {
    log.warn(
      `No GitHub App credentials (APP_ID, PRIVATE_KEY, WEBHOOK_SECRET): open http://localhost:${env.PORT} to register the App from app.yml`,
    );
    const { run } = await import('probot');
    await run(() => undefined, { env: { ...process.env, PORT: String(env.PORT) } });
    return;
  }
  try {
    const { startFactory } = await import('./startup.js');
    const { onShutdownSignal } = await import('./queues/workers.js');
    const factory = await startFactory(env, log);
    onShutdownSignal(() => factory.stop(), log);
  } catch (error) {
    console.error(`Factory could not start: ${describe(error)}`);
    process.exit(1);
  }
}

function parseEnvOrExit(): Env {
  try {
    return parseEnv();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.message.split('\n')[0] ?? error.name) : String(error);
}

await main();
