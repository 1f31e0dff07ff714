import { z } from 'zod';
import {
  combinedStatus,
  checkRunPayload,
  createCheckRun,
  createStatus,
  updateCheckRun,
} from '../checkActions.js';
import { HttpError, paginate, parseBody, type ApiRequest, type Router } from '../http.js';
import { fullName } from '../records.js';
import type { EmulatorState } from '../state.js';

const output = z
  .object({
    title: z.string().optional(),
    summary: z.string().optional(),
    text: z.string().optional(),
  })
  .optional();
const conclusion = z.enum([
  'action_required',
  'cancelled',
  'failure',
  'neutral',
  'success',
  'skipped',
  'stale',
  'timed_out',
]);

/** Check runs and commit statuses, as reported by the App and by the simulated CI. */
export function registerCheckRoutes(router: Router, state: EmulatorState) {
  const { payloads } = state;
  const repoOf = (request: ApiRequest) =>
    state.repo(request.params.owner ?? '', request.params.repo ?? '');
  const resolveRef = async (request: ApiRequest) => {
    const git = state.git(repoOf(request));
    const ref = request.params.ref ?? '';
    const sha = (await git.revParse(`refs/heads/${ref}`)) ?? (await git.revParse(ref));
    if (!sha) throw new HttpError(422, `No commit found for SHA: ${ref}`);
    return sha;
  };

  router
    .on('POST', '/repos/:owner/:repo/check-runs', async (request) => {
      if (request.installationId === null)
        throw new HttpError(403, 'Check runs can only be created by GitHub Apps');
      const repo = repoOf(request);
      const input = parseBody(
        z.object({
          name: z.string().min(1),
          head_sha: z.string().length(40),
          status: z.enum(['queued', 'in_progress', 'completed']).optional(),
          conclusion: conclusion.optional(),
          details_url: z.string().optional(),
          external_id: z.string().optional(),
          output,
        }),
        request.body,
      );
      const run = await createCheckRun(state, repo, request.actor, 'factory', input);
      return { status: 201, body: checkRunPayload(state, repo, run) };
    })
    .on('PATCH', '/repos/:owner/:repo/check-runs/:id', (request) => {
      const repo = repoOf(request);
      const run = repo.checkRuns.find(
        (r) => r.id === Number(request.params.id) && r.app === 'factory',
      );
      if (!run) throw new HttpError(404, 'Not Found');
      const input = parseBody(
        z.object({
          name: z.string().optional(),
          status: z.enum(['queued', 'in_progress', 'completed']).optional(),
          conclusion: conclusion.optional(),
          details_url: z.string().optional(),
          output,
        }),
        request.body,
      );
      return {
        body: checkRunPayload(state, repo, updateCheckRun(state, repo, request.actor, run, input)),
      };
    })
    .on('GET', '/repos/:owner/:repo/check-runs/:id', (request) => {
      const repo = repoOf(request);
      const run = repo.checkRuns.find((r) => r.id === Number(request.params.id));
      if (!run) throw new HttpError(404, 'Not Found');
      return { body: checkRunPayload(state, repo, run) };
    })
    .on('GET', '/repos/:owner/:repo/commits/:ref/check-runs', async (request) => {
      const repo = repoOf(request);
      const sha = await resolveRef(request);
      const name = request.query.get('check_name');
      const all = repo.checkRuns.filter((r) => r.headSha === sha && (!name || r.name === name));
      // GitHub lists the latest run per name unless filter=all.
      const latest =
        request.query.get('filter') === 'all'
          ? all
          : [...new Map(all.map((r) => [`${r.app}:${r.name}`, r])).values()];
      const runs = latest.map((r) => checkRunPayload(state, repo, r));
      const page = paginate(
        request,
        runs,
        `${payloads.baseUrl}/repos/${fullName(repo)}/commits/${sha}/check-runs`,
      );
      return { ...page, body: { total_count: runs.length, check_runs: page.body } };
    })
    .on('POST', '/repos/:owner/:repo/statuses/:sha', async (request) => {
      const repo = repoOf(request);
      const input = parseBody(
        z.object({
          state: z.enum(['error', 'failure', 'pending', 'success']),
          context: z.string().optional(),
          description: z.string().optional(),
          target_url: z.string().optional(),
        }),
        request.body,
      );
      const status = await createStatus(
        state,
        repo,
        request.actor,
        request.params.sha ?? '',
        input,
      );
      return { status: 201, body: payloads.status(repo, status) };
    })
    .on('GET', '/repos/:owner/:repo/commits/:ref/statuses', async (request) => {
      const repo = repoOf(request);
      const sha = await resolveRef(request);
      const statuses = repo.statuses
        .filter((s) => s.sha === sha)
        .reverse()
        .map((s) => payloads.status(repo, s));
      return paginate(
        request,
        statuses,
        `${payloads.baseUrl}/repos/${fullName(repo)}/commits/${sha}/statuses`,
      );
    })
    .on('GET', '/repos/:owner/:repo/commits/:ref/status', async (request) => {
      const repo = repoOf(request);
      const sha = await resolveRef(request);
      const combined = combinedStatus(repo, sha);
      return {
        body: {
          state: combined.state,
          sha,
          total_count: combined.statuses.length,
          statuses: combined.statuses.map((s) => payloads.status(repo, s)),
          repository: payloads.repository(repo),
        },
      };
    });
}
