import { HttpError } from './http.js';
import type { CheckRunRecord, RepoRecord, StatusRecord, UserRecord } from './records.js';
import type { EmulatorState } from './state.js';

/** Check runs (grouped into one suite per app and commit) and commit statuses. */

export interface CheckRunInput {
  name: string;
  head_sha: string;
  status?: 'queued' | 'in_progress' | 'completed';
  conclusion?: string;
  details_url?: string;
  external_id?: string;
  output?: { title?: string; summary?: string; text?: string };
}

/** The simulated CI is another App on GitHub; its check runs carry its own identity. */
export const ciApp = { id: 15368, slug: 'emulated-ci', name: 'Emulated CI' };

function appOf(state: EmulatorState, run: CheckRunRecord) {
  return run.app === 'ci'
    ? ciApp
    : { id: state.app.id, slug: state.app.slug, name: state.app.name };
}

function openPullsAt(repo: RepoRecord, sha: string) {
  return [...repo.issues.values()]
    .filter((i) => i.pull && i.state === 'open' && i.pull.headSha === sha)
    .map((i) => i.number);
}

export function checkRunPayload(state: EmulatorState, repo: RepoRecord, run: CheckRunRecord) {
  return state.payloads.checkRun(repo, run, appOf(state, run), openPullsAt(repo, run.headSha));
}

export async function createCheckRun(
  state: EmulatorState,
  repo: RepoRecord,
  actor: UserRecord,
  app: 'factory' | 'ci',
  input: CheckRunInput,
) {
  const sha = await state.git(repo).revParse(input.head_sha);
  if (!sha || sha !== input.head_sha)
    throw new HttpError(422, 'No commit found for SHA: ' + input.head_sha);
  const suite =
    repo.checkRuns.find((r) => r.headSha === sha && r.app === app)?.suiteId ?? state.newId();
  const status = input.conclusion ? 'completed' : (input.status ?? 'queued');
  const now = new Date();
  const run: CheckRunRecord = {
    id: state.newId(),
    suiteId: suite,
    name: input.name,
    headSha: sha,
    status,
    conclusion: input.conclusion ?? null,
    title: input.output?.title ?? null,
    summary: input.output?.summary ?? null,
    text: input.output?.text ?? null,
    detailsUrl: input.details_url ?? null,
    externalId: input.external_id ?? null,
    app,
    startedAt: now,
    completedAt: status === 'completed' ? now : null,
  };
  repo.checkRuns.push(run);
  state.emit('check_run', repo, actor, {
    action: 'created',
    check_run: checkRunPayload(state, repo, run),
  });
  if (status === 'completed') completed(state, repo, actor, run);
  return run;
}

export function updateCheckRun(
  state: EmulatorState,
  repo: RepoRecord,
  actor: UserRecord,
  run: CheckRunRecord,
  input: Partial<CheckRunInput>,
) {
  const wasCompleted = run.status === 'completed';
  if (input.name) run.name = input.name;
  if (input.status) run.status = input.status;
  if (input.conclusion) {
    run.conclusion = input.conclusion;
    run.status = 'completed';
  }
  if (input.output) {
    run.title = input.output.title ?? run.title;
    run.summary = input.output.summary ?? run.summary;
    run.text = input.output.text ?? run.text;
  }
  if (input.details_url) run.detailsUrl = input.details_url;
  if (run.status === 'completed' && !wasCompleted) {
    run.completedAt = new Date();
    completed(state, repo, actor, run);
  }
  return run;
}

/** `check_run.completed`, and `check_suite.completed` once every run of the suite is done. */
function completed(state: EmulatorState, repo: RepoRecord, actor: UserRecord, run: CheckRunRecord) {
  state.emit('check_run', repo, actor, {
    action: 'completed',
    check_run: checkRunPayload(state, repo, run),
  });
  const suite = repo.checkRuns.filter((r) => r.suiteId === run.suiteId);
  if (suite.some((r) => r.status !== 'completed')) return;
  const order = [
    'action_required',
    'cancelled',
    'timed_out',
    'failure',
    'neutral',
    'skipped',
    'success',
  ];
  const conclusion = suite
    .map((r) => r.conclusion ?? 'neutral')
    .sort((a, b) => order.indexOf(a) - order.indexOf(b))[0];
  state.emit('check_suite', repo, actor, {
    action: 'completed',
    check_suite: {
      id: run.suiteId,
      head_sha: run.headSha,
      head_branch: null,
      status: 'completed',
      conclusion,
      app: appOf(state, run),
      pull_requests: openPullsAt(repo, run.headSha).map((number) => ({ number })),
    },
  });
}

export async function createStatus(
  state: EmulatorState,
  repo: RepoRecord,
  actor: UserRecord,
  sha: string,
  input: {
    state: StatusRecord['state'];
    context?: string;
    description?: string;
    target_url?: string;
  },
) {
  const resolved = await state.git(repo).revParse(sha);
  if (!resolved) throw new HttpError(422, 'No commit found for SHA: ' + sha);
  const status: StatusRecord = {
    id: state.newId(),
    sha: resolved,
    state: input.state,
    context: input.context ?? 'default',
    description: input.description ?? null,
    targetUrl: input.target_url ?? null,
    creator: actor,
    createdAt: new Date(),
  };
  repo.statuses.push(status);
  const branches = [...(await state.git(repo).branches())]
    .filter(([, head]) => head === resolved)
    .map(([name]) => ({ name, commit: { sha: resolved } }));
  state.emit('status', repo, actor, {
    id: status.id,
    sha: resolved,
    name: `${repo.owner.login}/${repo.name}`,
    state: status.state,
    context: status.context,
    description: status.description,
    target_url: status.targetUrl,
    branches,
    commit: { sha: resolved },
  });
  return status;
}

/** The latest status per context, and the overall state GitHub derives from them. */
export function combinedStatus(repo: RepoRecord, sha: string) {
  const latest = new Map<string, StatusRecord>();
  for (const status of repo.statuses.filter((s) => s.sha === sha))
    latest.set(status.context, status);
  const statuses = [...latest.values()];
  const state = statuses.some((s) => s.state === 'error' || s.state === 'failure')
    ? 'failure'
    : statuses.length === 0 || statuses.some((s) => s.state === 'pending')
      ? 'pending'
      : 'success';
  return { state, statuses };
}
