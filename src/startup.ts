import { Probot, ProbotOctokit, Server } from 'probot';
import { createAgentRunnerFromEnv, listenForAgentCancels } from './agents/runtime/fromEnv.js';
import type { AgentCancelListener } from './agents/runtime/cancellation.js';
import type { AgentRunner } from './agents/runtime/types.js';
import { createFactoryApp } from './app.js';
import type { Env } from './config/env.js';
import { modelWarning } from './config/startupWarnings.js';
import { githubApiUrl, readPrivateKey } from './config/privateKey.js';
import { openDatabase } from './db/connection.js';
import type { FactoryDeps } from './deps.js';
import { createGitHubClients } from './github/clients.js';
import { UnthrottledOctokit } from './github/octokit.js';
import { redactWrites } from './github/redactWrites.js';
import { createWebhookQueueApp, receiveWebhookProcessors } from './intake/webhookQueue.js';
import { buildHttpRoutes, type HttpRoutes } from './http/routes.js';
import type { Logger } from './logger.js';
import { buildProcessors } from './processors.js';
import { registerAppSecrets } from './secrets/registry.js';
import { JobQueues } from './queues/producer.js';
import { jobLockMs, startQueueWorkers, type QueueWorkers } from './queues/workers.js';
import { registerSchedules, startUpkeep, type Upkeep } from './schedules.js';
import { statusPageExposure } from './web/exposure.js';

export interface RunningFactory {
  deps: FactoryDeps;
  /** The port the web server listens on (web and all roles). */
  port?: number;
  /** Stops taking webhooks, lets running jobs finish, then closes Redis and the database. */
  stop(): Promise<void>;
}

export interface StartOverrides {
  agents?: AgentRunner;
  /** Tests pass an Octokit without retries. */
  Octokit?: typeof ProbotOctokit;
}

/**
 * Everything `npm start` runs, by role: `web` verifies and queues webhooks
 * and serves pages, `worker` takes the queued webhooks in and runs every
 * other job and the schedules, `all` does both. Processes
 * of any role share only Redis and the database.
 */
export async function startFactory(
  env: Env,
  log: Logger,
  overrides: StartOverrides = {},
): Promise<RunningFactory> {
  const probotOptions = {
    appId: env.APP_ID,
    privateKey: readPrivateKey(env),
    secret: env.WEBHOOK_SECRET,
    baseUrl: githubApiUrl(env),
    log,
    // Every client the app makes redacts the secrets it holds out of what it writes.
    Octokit: (
      overrides.Octokit ??
      (env.GITHUB_WRITE_THROTTLE === 'off' ? UnthrottledOctokit : ProbotOctokit)
    ).plugin(redactWrites),
  };
  registerAppSecrets(env, probotOptions.privateKey);
  const database = await openDatabase({
    databaseUrl: env.DATABASE_URL,
    dataDir: env.FACTORY_DATA_DIR,
  });
  const queues = JobQueues.connect(env.REDIS_URL, env.REDIS_PREFIX);
  // Authenticates queue jobs and, in a worker, runs the intake handlers on queued deliveries.
  const probot = new Probot(probotOptions);
  const deps: FactoryDeps = {
    env,
    db: database.db,
    queues,
    github: createGitHubClients(probot, env),
    log,
    agents: overrides.agents ?? createAgentRunnerFromEnv(env, database.db, log),
  };

  let server: Server | undefined;
  let routes: HttpRoutes | undefined;
  let workers: QueueWorkers | undefined;
  let cancels: AgentCancelListener | undefined;
  let upkeep: Upkeep | undefined;
  try {
    if (env.FACTORY_ROLE !== 'worker') {
      server = new Server({
        Probot: Probot.defaults(probotOptions),
        port: env.PORT,
        host: env.HOST,
        log: log.child({ name: 'server' }),
        enableStaticFiles: false,
      });
      await server.load(createWebhookQueueApp(deps));
      routes = buildHttpRoutes(deps);
      for (const handler of routes.handlers) server.addHandler(handler);
      await server.start();
      announceStatusPage(env, log);
    }
    if (env.FACTORY_ROLE !== 'web') {
      announceJail(deps.agents, log);
      const noModel = modelWarning(env);
      if (noModel) log.warn(noModel);
      cancels = await listenForAgentCancels(env, log);
      await probot.load(createFactoryApp(deps));
      workers = startQueueWorkers({
        redisUrl: env.REDIS_URL,
        prefix: env.REDIS_PREFIX,
        processors: { ...buildProcessors(deps), ...receiveWebhookProcessors(probot) },
        log,
        lockMs: jobLockMs(env.HEARTBEAT_TIMEOUT_SECONDS),
        concurrency: {
          webhook: 8,
          task: env.MAX_CONCURRENT_AGENTS,
          epic: 2,
          // Reviews (the head's and those ahead) run here for minutes; advances must not wait on them.
          'merge-queue': 4,
          mail: 4,
          orchestrator: 1,
        },
      });
      await registerSchedules(deps);
      upkeep = startUpkeep(deps);
      void upkeep.runNow();
    }
  } catch (error) {
    upkeep?.stop();
    routes?.close();
    await server?.stop().catch(() => undefined);
    await workers?.close().catch(() => undefined);
    await cancels?.close().catch(() => undefined);
    await queues.close().catch(() => undefined);
    await database.close().catch(() => undefined);
    throw error;
  }
  log.info(
    { role: env.FACTORY_ROLE, database: database.kind, port: server?.port },
    'Factory started',
  );

  return {
    deps,
    port: server?.port,
    async stop() {
      routes?.close();
      await server?.stop();
      upkeep?.stop();
      await workers?.close();
      await cancels?.close();
      await queues.close();
      await database.close();
    },
  };
}

/** One line at start-up when the status page is closed (no token, not loopback) or open to all. */
function announceStatusPage(env: Env, log: FactoryDeps['log']): void {
  const exposure = statusPageExposure({
    host: env.HOST,
    token: env.STATUS_PAGE_TOKEN,
    publicPage: env.STATUS_PAGE_PUBLIC === 'true',
  });
  if (exposure.kind === 'closed') log.warn(`status page closed: ${exposure.reason}`);
  if (exposure.kind === 'open' && exposure.because === 'public') {
    log.warn('STATUS_PAGE_PUBLIC=true: the status page is open to anyone who can reach the port');
  }
}

/** One line at start-up about the agents' jail: unjailed, or unable to run any agent. */
function announceJail(agents: AgentRunner, log: FactoryDeps['log']): void {
  const jail = agents.jail;
  if (!jail) return;
  if (jail.mode === 'off') {
    log.warn('AGENT_SANDBOX=off: agents and repository commands run WITHOUT the jail (unsafe)');
    return;
  }
  const status = jail.status();
  if (!status.ok) log.error(status.reason);
  else log.info('agents run jailed (bubblewrap)');
}
