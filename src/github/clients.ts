import type { Probot } from 'probot';
import type { Env } from '../config/env.js';
import type { GitHubClients } from '../deps.js';
import { registerInstallationToken } from '../secrets/registry.js';

/**
 * GitHub for queue jobs, from the App's own credentials. `probot` is an
 * instance used only for authentication (the web server has its own).
 */
export function createGitHubClients(probot: Probot, env: Pick<Env, 'BOT_LOGIN'>): GitHubClients {
  let botLogin: Promise<string> | undefined = env.BOT_LOGIN
    ? Promise.resolve(env.BOT_LOGIN)
    : undefined;
  return {
    forInstallation: (installationId) => probot.auth(installationId),
    async installationToken(installationId) {
      // A new token each time, limited to pushing; it lives only as long as the push needs it.
      const app = await probot.auth();
      const { data } = await app.rest.apps.createInstallationAccessToken({
        installation_id: installationId,
        permissions: { contents: 'write' },
      });
      registerInstallationToken(data.token);
      return data.token;
    },
    botLogin() {
      botLogin ??= lookUpBotLogin(probot).catch((error: unknown) => {
        botLogin = undefined; // try again next time instead of remembering the failure
        throw error;
      });
      return botLogin;
    },
  };
}

async function lookUpBotLogin(probot: Probot): Promise<string> {
  const app = await probot.auth();
  const { data } = await app.rest.apps.getAuthenticated();
  if (!data?.slug) throw new Error('GET /app returned no slug; set BOT_LOGIN');
  return `${data.slug}[bot]`;
}
