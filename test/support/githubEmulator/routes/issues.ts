import { z } from 'zod';
import { HttpError, paginate, parseBody, type ApiRequest, type Router } from '../http.js';
import {
  addLabels,
  addSubIssue,
  comment,
  createComment,
  createIssue,
  createLabel,
  deleteComment,
  removeLabel,
  removeSubIssue,
  setLabels,
  updateComment,
  updateIssue,
} from '../issueActions.js';
import { fullName, type ReactionRecord, type RepoRecord } from '../records.js';
import type { EmulatorState } from '../state.js';

const labelNames = z
  .union([
    z.array(z.union([z.string(), z.object({ name: z.string() })])),
    z.object({ labels: z.array(z.union([z.string(), z.object({ name: z.string() })])) }),
  ])
  .transform((value) =>
    (Array.isArray(value) ? value : value.labels).map((l) => (typeof l === 'string' ? l : l.name)),
  );

const reactionContent = z.object({
  content: z.enum(['+1', '-1', 'laugh', 'confused', 'heart', 'hooray', 'rocket', 'eyes']),
});

/** Issues, labels, issue comments, reactions and sub-issues. */
export function registerIssueRoutes(router: Router, state: EmulatorState) {
  const { payloads } = state;
  const repoOf = (request: ApiRequest) =>
    state.repo(request.params.owner ?? '', request.params.repo ?? '');
  const issueOf = (request: ApiRequest) => {
    const repo = repoOf(request);
    return { repo, issue: state.issue(repo, request.params.number ?? '') };
  };
  const requireWrite = (repo: RepoRecord, request: ApiRequest) => {
    if (request.installationId !== null) return;
    const permission = state.permission(repo, request.actor);
    if (!['admin', 'maintain', 'write', 'triage'].includes(permission))
      throw new HttpError(403, 'Must have triage or write access');
  };
  const labelsOf = (repo: RepoRecord, names: string[]) =>
    names
      .map((name) => repo.labels.get(name))
      .filter((l) => l !== undefined)
      .map((l) => payloads.label(repo, l));
  const addReaction = (list: ReactionRecord[], request: ApiRequest) => {
    const { content } = parseBody(reactionContent, request.body);
    const existing = list.find(
      (r) => r.content === content && r.user.login === request.actor.login,
    );
    if (existing) return { status: 200, body: payloads.reaction(existing) };
    const reaction = { id: state.newId(), content, user: request.actor, createdAt: new Date() };
    list.push(reaction);
    return { status: 201, body: payloads.reaction(reaction) };
  };

  router
    .on('GET', '/repos/:owner/:repo/issues', (request) => {
      const repo = repoOf(request);
      const wantedState = request.query.get('state') ?? 'open';
      const labels = request.query.get('labels')?.split(',').filter(Boolean) ?? [];
      const creator = request.query.get('creator');
      const direction = request.query.get('direction') ?? 'desc';
      const issues = [...repo.issues.values()]
        .filter((i) => wantedState === 'all' || i.state === wantedState)
        .filter((i) =>
          labels.every((l) => i.labels.some((have) => have.toLowerCase() === l.toLowerCase())),
        )
        .filter((i) => !creator || i.user.login === creator)
        .sort((a, b) => (direction === 'asc' ? a.number - b.number : b.number - a.number))
        .map((i) => state.issuePayload(repo, i));
      return paginate(request, issues, `${payloads.baseUrl}/repos/${fullName(repo)}/issues`);
    })
    .on('POST', '/repos/:owner/:repo/issues', (request) => {
      const repo = repoOf(request);
      const input = parseBody(
        z.object({
          title: z.string().min(1),
          body: z.string().nullish(),
          labels: labelNames.optional(),
          assignees: z.array(z.string()).optional(),
        }),
        request.body,
      );
      const issue = createIssue(state, repo, request.actor, input);
      return { status: 201, body: state.issuePayload(repo, issue) };
    })
    .on('GET', '/repos/:owner/:repo/issues/comments/:id', (request) => {
      const repo = repoOf(request);
      return { body: payloads.comment(repo, comment(repo, request.params.id ?? '')) };
    })
    .on('PATCH', '/repos/:owner/:repo/issues/comments/:id', (request) => {
      const repo = repoOf(request);
      const record = comment(repo, request.params.id ?? '');
      if (record.user.login !== request.actor.login && request.installationId === null)
        requireWrite(repo, request);
      const { body } = parseBody(z.object({ body: z.string().min(1) }), request.body);
      return {
        body: payloads.comment(repo, updateComment(state, repo, record, request.actor, body)),
      };
    })
    .on('DELETE', '/repos/:owner/:repo/issues/comments/:id', (request) => {
      const repo = repoOf(request);
      deleteComment(state, repo, comment(repo, request.params.id ?? ''), request.actor);
      return { status: 204 };
    })
    .on('GET', '/repos/:owner/:repo/issues/comments/:id/reactions', (request) => {
      const repo = repoOf(request);
      return paginate(
        request,
        comment(repo, request.params.id ?? '').reactions.map((r) => payloads.reaction(r)),
        `${payloads.baseUrl}/reactions`,
      );
    })
    .on('POST', '/repos/:owner/:repo/issues/comments/:id/reactions', (request) =>
      addReaction(comment(repoOf(request), request.params.id ?? '').reactions, request),
    )
    .on('GET', '/repos/:owner/:repo/issues/:number', (request) => {
      const { repo, issue } = issueOf(request);
      return { body: state.issuePayload(repo, issue) };
    })
    .on('PATCH', '/repos/:owner/:repo/issues/:number', (request) => {
      const { repo, issue } = issueOf(request);
      if (issue.user.login !== request.actor.login) requireWrite(repo, request);
      const input = parseBody(
        z.object({
          title: z.string().min(1).optional(),
          body: z.string().nullish(),
          state: z.enum(['open', 'closed']).optional(),
          state_reason: z.enum(['completed', 'not_planned', 'reopened']).nullish(),
          labels: labelNames.optional(),
          assignees: z.array(z.string()).optional(),
        }),
        request.body,
      );
      updateIssue(state, repo, issue, request.actor, input);
      return { body: state.issuePayload(repo, issue) };
    })
    .on('GET', '/repos/:owner/:repo/issues/:number/comments', (request) => {
      const { repo, issue } = issueOf(request);
      const comments = [...repo.comments.values()]
        .filter((c) => c.issueNumber === issue.number)
        .map((c) => payloads.comment(repo, c));
      return paginate(
        request,
        comments,
        `${payloads.baseUrl}/repos/${fullName(repo)}/issues/${issue.number}/comments`,
      );
    })
    .on('POST', '/repos/:owner/:repo/issues/:number/comments', (request) => {
      const { repo, issue } = issueOf(request);
      const { body } = parseBody(z.object({ body: z.string().min(1) }), request.body);
      return {
        status: 201,
        body: payloads.comment(repo, createComment(state, repo, issue, request.actor, body)),
      };
    })
    .on('GET', '/repos/:owner/:repo/issues/:number/labels', (request) => {
      const { repo, issue } = issueOf(request);
      return paginate(
        request,
        labelsOf(repo, issue.labels),
        `${payloads.baseUrl}/repos/${fullName(repo)}/issues/${issue.number}/labels`,
      );
    })
    .on('POST', '/repos/:owner/:repo/issues/:number/labels', (request) => {
      const { repo, issue } = issueOf(request);
      requireWrite(repo, request);
      addLabels(state, repo, issue, request.actor, parseBody(labelNames, request.body));
      return { body: labelsOf(repo, issue.labels) };
    })
    .on('PUT', '/repos/:owner/:repo/issues/:number/labels', (request) => {
      const { repo, issue } = issueOf(request);
      requireWrite(repo, request);
      setLabels(state, repo, issue, request.actor, parseBody(labelNames, request.body));
      return { body: labelsOf(repo, issue.labels) };
    })
    .on('DELETE', '/repos/:owner/:repo/issues/:number/labels/:name', (request) => {
      const { repo, issue } = issueOf(request);
      requireWrite(repo, request);
      removeLabel(state, repo, issue, request.actor, request.params.name ?? '');
      return { body: labelsOf(repo, issue.labels) };
    })
    .on('GET', '/repos/:owner/:repo/issues/:number/reactions', (request) => {
      const { issue } = issueOf(request);
      return paginate(
        request,
        issue.reactions.map((r) => payloads.reaction(r)),
        `${payloads.baseUrl}/reactions`,
      );
    })
    .on('POST', '/repos/:owner/:repo/issues/:number/reactions', (request) =>
      addReaction(issueOf(request).issue.reactions, request),
    )
    .on('GET', '/repos/:owner/:repo/issues/:number/sub_issues', (request) => {
      const { repo, issue } = issueOf(request);
      const subs = issue.subIssueIds
        .map((id) => state.issueById(repo, id))
        .filter((i) => i !== undefined)
        .map((i) => state.issuePayload(repo, i));
      return paginate(
        request,
        subs,
        `${payloads.baseUrl}/repos/${fullName(repo)}/issues/${issue.number}/sub_issues`,
      );
    })
    .on('GET', '/repos/:owner/:repo/issues/:number/parent', (request) => {
      const { repo, issue } = issueOf(request);
      const parent = issue.parentId === null ? undefined : state.issueById(repo, issue.parentId);
      if (!parent) throw new HttpError(404, 'Not Found');
      return { body: state.issuePayload(repo, parent) };
    })
    .on('POST', '/repos/:owner/:repo/issues/:number/sub_issues', (request) => {
      const { repo, issue } = issueOf(request);
      requireWrite(repo, request);
      const input = parseBody(
        z.object({
          sub_issue_id: z.number().int().positive(),
          replace_parent: z.boolean().optional(),
        }),
        request.body,
      );
      addSubIssue(state, repo, issue, input.sub_issue_id, request.actor, input.replace_parent);
      return { status: 201, body: state.issuePayload(repo, issue) };
    })
    .on('DELETE', '/repos/:owner/:repo/issues/:number/sub_issue', (request) => {
      const { repo, issue } = issueOf(request);
      requireWrite(repo, request);
      const input = parseBody(
        z.object({ sub_issue_id: z.number().int().positive() }),
        request.body,
      );
      const sub = removeSubIssue(state, repo, issue, input.sub_issue_id, request.actor);
      return { body: state.issuePayload(repo, sub) };
    })
    .on('GET', '/repos/:owner/:repo/labels', (request) => {
      const repo = repoOf(request);
      return paginate(
        request,
        [...repo.labels.values()].map((l) => payloads.label(repo, l)),
        `${payloads.baseUrl}/repos/${fullName(repo)}/labels`,
      );
    })
    .on('GET', '/repos/:owner/:repo/labels/:name', (request) => {
      const repo = repoOf(request);
      const label = [...repo.labels.values()].find(
        (l) => l.name.toLowerCase() === (request.params.name ?? '').toLowerCase(),
      );
      if (!label) throw new HttpError(404, 'Not Found');
      return { body: payloads.label(repo, label) };
    })
    .on('POST', '/repos/:owner/:repo/labels', (request) => {
      const repo = repoOf(request);
      requireWrite(repo, request);
      const input = parseBody(
        z.object({
          name: z.string().min(1),
          color: z
            .string()
            .regex(/^[0-9a-fA-F]{6}$/)
            .optional(),
          description: z.string().nullish(),
        }),
        request.body,
      );
      return { status: 201, body: payloads.label(repo, createLabel(state, repo, input)) };
    });
}
