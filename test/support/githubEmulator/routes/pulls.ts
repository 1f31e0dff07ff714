import { z } from 'zod';
import { HttpError, paginate, parseBody, type ApiRequest, type Router } from '../http.js';
import {
  addReviewComment,
  announcePush,
  createPull,
  createReview,
  mergePull,
  pullPayload,
  submitReview,
  updatePull,
} from '../pullActions.js';
import { fullName } from '../records.js';
import type { EmulatorState } from '../state.js';

const reviewEvent = z.enum(['APPROVE', 'REQUEST_CHANGES', 'COMMENT']);
const reviewCommentInput = z.object({
  path: z.string().min(1),
  body: z.string().min(1),
  line: z.number().int().positive().optional(),
  position: z.number().int().positive().optional(),
  side: z.enum(['LEFT', 'RIGHT']).optional(),
});

/** Pull requests, their files and diff, merging, reviews and review comments. */
export function registerPullRoutes(router: Router, state: EmulatorState) {
  const { payloads } = state;
  const repoOf = (request: ApiRequest) =>
    state.repo(request.params.owner ?? '', request.params.repo ?? '');
  const pullOf = (request: ApiRequest) => {
    const repo = repoOf(request);
    return { repo, issue: state.pull(repo, request.params.number ?? '') };
  };
  const requireWrite = (request: ApiRequest) => {
    if (request.installationId !== null) return;
    const permission = state.permission(repoOf(request), request.actor);
    if (!['admin', 'maintain', 'write'].includes(permission))
      throw new HttpError(403, 'Must have write access');
  };

  router
    .on('GET', '/repos/:owner/:repo/pulls', async (request) => {
      const repo = repoOf(request);
      const wanted = request.query.get('state') ?? 'open';
      const head = request.query.get('head');
      const base = request.query.get('base');
      const pulls = [...repo.issues.values()]
        .filter((i) => i.pull !== null)
        .filter((i) => wanted === 'all' || i.state === wanted)
        .filter(
          (i) =>
            !head || `${repo.owner.login}:${i.pull?.headRef}` === head || i.pull?.headRef === head,
        )
        .filter((i) => !base || i.pull?.baseRef === base)
        .sort((a, b) => b.number - a.number);
      const page = paginate(request, pulls, `${payloads.baseUrl}/repos/${fullName(repo)}/pulls`);
      const items = page.body as typeof pulls;
      const body = items.map((issue) =>
        payloads.pull(repo, issue, {
          mergeable: null,
          mergeableState: 'unknown',
          commits: 0,
          changedFiles: 0,
        }),
      );
      return { ...page, body };
    })
    .on('POST', '/repos/:owner/:repo/pulls', async (request) => {
      const repo = repoOf(request);
      requireWrite(request);
      const input = parseBody(
        z.object({
          title: z.string().min(1),
          head: z.string().min(1),
          base: z.string().min(1),
          body: z.string().nullish(),
          draft: z.boolean().optional(),
        }),
        request.body,
      );
      const issue = await createPull(state, repo, request.actor, input);
      return { status: 201, body: await pullPayload(state, repo, issue) };
    })
    .on('GET', '/repos/:owner/:repo/pulls/:number', async (request) => {
      const { repo, issue } = pullOf(request);
      const accept = String(request.headers.accept ?? '');
      if (accept.includes('diff') || accept.includes('patch')) {
        return {
          text: {
            contentType: 'text/plain; charset=utf-8',
            content: await state.git(repo).diff(issue.pull.baseSha, issue.pull.headSha),
          },
        };
      }
      return { body: await pullPayload(state, repo, issue) };
    })
    .on('PATCH', '/repos/:owner/:repo/pulls/:number', async (request) => {
      const { repo, issue } = pullOf(request);
      requireWrite(request);
      const input = parseBody(
        z.object({
          title: z.string().min(1).optional(),
          body: z.string().nullish(),
          state: z.enum(['open', 'closed']).optional(),
          base: z.string().optional(),
        }),
        request.body,
      );
      await updatePull(state, repo, issue, request.actor, input);
      return { body: await pullPayload(state, repo, issue) };
    })
    .on('GET', '/repos/:owner/:repo/pulls/:number/files', async (request) => {
      const { repo, issue } = pullOf(request);
      const files = await state.git(repo).changedFiles(issue.pull.baseSha, issue.pull.headSha);
      return paginate(
        request,
        files,
        `${payloads.baseUrl}/repos/${fullName(repo)}/pulls/${issue.number}/files`,
      );
    })
    .on('GET', '/repos/:owner/:repo/pulls/:number/commits', async (request) => {
      const { repo, issue } = pullOf(request);
      const commits = await state.git(repo).commitsBetween(issue.pull.baseSha, issue.pull.headSha);
      const body = commits.map((c) => ({
        sha: c.sha,
        commit: { message: c.message, author: c.author, committer: c.committer },
      }));
      return paginate(
        request,
        body,
        `${payloads.baseUrl}/repos/${fullName(repo)}/pulls/${issue.number}/commits`,
      );
    })
    .on('GET', '/repos/:owner/:repo/pulls/:number/merge', (request) => {
      const { issue } = pullOf(request);
      if (!issue.pull.merged) throw new HttpError(404, 'Not Found');
      return { status: 204 };
    })
    .on('PUT', '/repos/:owner/:repo/pulls/:number/merge', async (request) => {
      const { repo, issue } = pullOf(request);
      requireWrite(request);
      const input = parseBody(
        z.object({
          merge_method: z.enum(['merge', 'squash', 'rebase']).optional(),
          sha: z.string().optional(),
          commit_title: z.string().optional(),
          commit_message: z.string().optional(),
        }),
        request.body,
      );
      return { body: await mergePull(state, repo, issue, request.actor, input) };
    })
    .on('PUT', '/repos/:owner/:repo/pulls/:number/update-branch', async (request) => {
      const { repo, issue } = pullOf(request);
      requireWrite(request);
      const input = parseBody(z.object({ expected_head_sha: z.string().optional() }), request.body);
      if (input.expected_head_sha && input.expected_head_sha !== issue.pull.headSha)
        throw new HttpError(422, 'expected_head_sha does not match the head');
      const git = state.git(repo);
      const base = await git.revParse(`refs/heads/${issue.pull.baseRef}`);
      if (!base) throw new HttpError(422, 'Base branch does not exist');
      if (await git.isAncestor(base, issue.pull.headSha))
        throw new HttpError(422, 'There are no new commits on the base branch.');
      const merge = await git.mergeTree(issue.pull.headSha, base);
      if (!merge.clean) throw new HttpError(422, 'merge conflict between base and head');
      const before = issue.pull.headSha;
      const author = { name: request.actor.name, email: request.actor.email };
      const after = await git.commitTree(
        merge.tree,
        [before, base],
        `Merge branch '${issue.pull.baseRef}' into ${issue.pull.headRef}`,
        author,
      );
      await git.updateBranch(issue.pull.headRef, after, before);
      await announcePush(state, repo, request.actor, [
        { branch: issue.pull.headRef, before, after },
      ]);
      return {
        status: 202,
        body: {
          message: 'Updating pull request branch.',
          url: `${payloads.baseUrl}/repos/${fullName(repo)}/pulls/${issue.number}`,
        },
      };
    })
    .on('GET', '/repos/:owner/:repo/pulls/:number/reviews', (request) => {
      const { repo, issue } = pullOf(request);
      const reviews = issue.pull.reviews
        .filter((r) => r.state !== 'PENDING' || r.user.login === request.actor.login)
        .map((r) => payloads.review(repo, issue.number, r));
      return paginate(
        request,
        reviews,
        `${payloads.baseUrl}/repos/${fullName(repo)}/pulls/${issue.number}/reviews`,
      );
    })
    .on('POST', '/repos/:owner/:repo/pulls/:number/reviews', (request) => {
      const { repo, issue } = pullOf(request);
      const input = parseBody(
        z.object({
          event: reviewEvent.optional(),
          body: z.string().optional(),
          commit_id: z.string().optional(),
          comments: z.array(reviewCommentInput).optional(),
        }),
        request.body,
      );
      const review = createReview(state, repo, issue, request.actor, input);
      return { body: payloads.review(repo, issue.number, review) };
    })
    .on('GET', '/repos/:owner/:repo/pulls/:number/reviews/:review', (request) => {
      const { repo, issue } = pullOf(request);
      const review = issue.pull.reviews.find((r) => r.id === Number(request.params.review));
      if (!review) throw new HttpError(404, 'Not Found');
      return { body: payloads.review(repo, issue.number, review) };
    })
    .on('POST', '/repos/:owner/:repo/pulls/:number/reviews/:review/events', (request) => {
      const { repo, issue } = pullOf(request);
      const review = issue.pull.reviews.find((r) => r.id === Number(request.params.review));
      if (!review) throw new HttpError(404, 'Not Found');
      const input = parseBody(
        z.object({ event: reviewEvent, body: z.string().optional() }),
        request.body,
      );
      return {
        body: payloads.review(
          repo,
          issue.number,
          submitReview(state, repo, issue, review, request.actor, input),
        ),
      };
    })
    .on('GET', '/repos/:owner/:repo/pulls/:number/comments', (request) => {
      const { repo, issue } = pullOf(request);
      return paginate(
        request,
        issue.pull.reviewComments.map((c) => payloads.reviewComment(repo, c)),
        `${payloads.baseUrl}/repos/${fullName(repo)}/pulls/${issue.number}/comments`,
      );
    })
    .on('POST', '/repos/:owner/:repo/pulls/:number/comments', (request) => {
      const { repo, issue } = pullOf(request);
      const input = parseBody(
        z.object({
          body: z.string().min(1),
          path: z.string().optional(),
          line: z.number().int().positive().optional(),
          side: z.enum(['LEFT', 'RIGHT']).optional(),
          commit_id: z.string().optional(),
          in_reply_to: z.number().int().optional(),
        }),
        request.body,
      );
      return {
        status: 201,
        body: payloads.reviewComment(
          repo,
          addReviewComment(state, repo, issue, request.actor, input),
        ),
      };
    })
    .on('POST', '/repos/:owner/:repo/pulls/:number/comments/:comment/replies', (request) => {
      const { repo, issue } = pullOf(request);
      const { body } = parseBody(z.object({ body: z.string().min(1) }), request.body);
      const reply = addReviewComment(state, repo, issue, request.actor, {
        body,
        in_reply_to: Number(request.params.comment),
      });
      return { status: 201, body: payloads.reviewComment(repo, reply) };
    })
    .on('GET', '/repos/:owner/:repo/pulls/comments/:comment', (request) => {
      const repo = repoOf(request);
      for (const issue of repo.issues.values()) {
        const found = issue.pull?.reviewComments.find(
          (c) => c.id === Number(request.params.comment),
        );
        if (found) return { body: payloads.reviewComment(repo, found) };
      }
      throw new HttpError(404, 'Not Found');
    });
}
