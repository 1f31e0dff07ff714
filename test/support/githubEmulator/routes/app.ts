import { z } from 'zod';
import type { TokenBook } from '../auth.js';
import { HttpError, notFound, paginate, parseBody, type Router } from '../http.js';
import type { EmulatorState } from '../state.js';

/** The App itself and its installation: what Probot asks with the App JWT. */
export function registerAppRoutes(router: Router, state: EmulatorState, tokens: TokenBook) {
  const { app, payloads } = state;
  const appPayload = () => ({
    id: app.id,
    slug: app.slug,
    node_id: `A_${app.id}`,
    name: app.name,
    owner: payloads.user(app.owner),
    description: 'A GitHub App served by the Factory GitHub emulator',
    html_url: `${payloads.baseUrl}/apps/${app.slug}`,
    permissions: {
      issues: 'write',
      pull_requests: 'write',
      contents: 'write',
      checks: 'write',
      statuses: 'read',
      metadata: 'read',
      members: 'read',
    },
    events: [
      'issues',
      'issue_comment',
      'sub_issues',
      'pull_request',
      'pull_request_review',
      'pull_request_review_comment',
      'check_run',
      'check_suite',
      'status',
      'push',
    ],
    installations_count: 1,
  });
  const installation = () => ({
    id: app.installationId,
    app_id: app.id,
    app_slug: app.slug,
    account: payloads.user(app.owner),
    target_type: 'User',
    repository_selection: 'all',
    permissions: appPayload().permissions,
    events: appPayload().events,
    access_tokens_url: `${payloads.baseUrl}/app/installations/${app.installationId}/access_tokens`,
    created_at: new Date(0).toISOString(),
    updated_at: new Date(0).toISOString(),
  });

  router
    .on('GET', '/app', () => ({ body: appPayload() }))
    .on('GET', '/app/installations', (request) =>
      paginate(request, [installation()], `${payloads.baseUrl}/app/installations`),
    )
    .on('GET', '/app/installations/:id', (request) => {
      if (Number(request.params.id) !== app.installationId) throw notFound();
      return { body: installation() };
    })
    .on('GET', '/repos/:owner/:repo/installation', (request) => {
      state.repo(request.params.owner ?? '', request.params.repo ?? '');
      return { body: installation() };
    })
    .on('GET', '/users/:login/installation', () => ({ body: installation() }))
    .on('POST', '/app/installations/:id/access_tokens', (request) => {
      if (Number(request.params.id) !== app.installationId) throw notFound();
      parseBody(
        z.object({
          repositories: z.array(z.string()).optional(),
          repository_ids: z.array(z.number()).optional(),
          permissions: z.record(z.string(), z.string()).optional(),
        }),
        request.body,
      );
      const issued = tokens.issueInstallationToken(app.installationId);
      return {
        status: 201,
        body: {
          token: issued.token,
          expires_at: issued.expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
          permissions: appPayload().permissions,
          repository_selection: 'all',
        },
      };
    })
    .on('GET', '/installation/repositories', (request) => {
      if (request.installationId === null)
        throw new HttpError(403, 'This endpoint requires an installation token');
      const repositories = [...state.repos.values()].map((r) => payloads.repository(r));
      const page = paginate(request, repositories, `${payloads.baseUrl}/installation/repositories`);
      return {
        ...page,
        body: {
          total_count: repositories.length,
          repository_selection: 'all',
          repositories: page.body,
        },
      };
    })
    .on('GET', '/users/:login', (request) => ({
      body: payloads.user(state.knownUser(request.params.login ?? '')),
    }))
    .on('GET', '/user', (request) => {
      if (request.installationId !== null)
        throw new HttpError(403, 'Resource not accessible by integration');
      return { body: payloads.user(request.actor) };
    })
    .on('GET', '/rate_limit', () => {
      const core = {
        limit: 5000,
        used: 0,
        remaining: 5000,
        reset: Math.floor(Date.now() / 1000) + 3600,
      };
      return { body: { resources: { core }, rate: core } };
    });
}

/** Paths GitHub serves to the App's JWT; everything else wants an installation or user token. */
export function isAppJwtPath(method: string, pathname: string) {
  return (
    /^\/app(\/installations(\/\d+(\/access_tokens)?)?)?\/?$/.test(pathname) ||
    (method === 'GET' &&
      /^\/(repos\/[^/]+\/[^/]+|users\/[^/]+|orgs\/[^/]+)\/installation$/.test(pathname))
  );
}
