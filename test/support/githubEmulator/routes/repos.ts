import { z } from 'zod';
import { HttpError, notFound, paginate, parseBody, type Router } from '../http.js';
import { announcePush } from '../pullActions.js';
import { fullName } from '../records.js';
import type { EmulatorState } from '../state.js';

/** Repository, contents read from the bare repository, branches and refs, permissions. */
export function registerRepoRoutes(router: Router, state: EmulatorState) {
  const { payloads } = state;
  const repoOf = (params: Record<string, string>) =>
    state.repo(params.owner ?? '', params.repo ?? '');

  router
    .on('GET', '/repos/:owner/:repo', (request) => ({
      body: payloads.repository(repoOf(request.params)),
    }))
    .on('GET', '/repos/:owner/:repo/contents/*path', async (request) => {
      const repo = repoOf(request.params);
      const ref = request.query.get('ref') ?? repo.defaultBranch;
      const filePath = request.params.path ?? '';
      const found = await state.git(repo).readPath(ref, filePath);
      if (!found) throw notFound();
      const accept = String(request.headers.accept ?? '');
      const name = fullName(repo);
      if (found.kind === 'dir') {
        return {
          body: found.entries.map((entry) => ({
            type: entry.type,
            name: entry.name,
            path: filePath ? `${filePath.replace(/\/+$/, '')}/${entry.name}` : entry.name,
            sha: entry.sha,
            url: `${payloads.baseUrl}/repos/${name}/contents/${filePath}/${entry.name}?ref=${ref}`,
          })),
        };
      }
      if (accept.includes('.raw'))
        return {
          text: {
            contentType: 'application/vnd.github.raw; charset=utf-8',
            content: found.content,
          },
        };
      return {
        body: {
          type: 'file',
          encoding: 'base64',
          name: filePath.split('/').pop(),
          path: filePath,
          sha: found.sha,
          size: Buffer.byteLength(found.content),
          content: Buffer.from(found.content).toString('base64'),
          url: `${payloads.baseUrl}/repos/${name}/contents/${filePath}?ref=${ref}`,
        },
      };
    })
    .on('GET', '/repos/:owner/:repo/collaborators/:username/permission', (request) => {
      const repo = repoOf(request.params);
      const user = state.knownUser(request.params.username ?? '');
      const permission = state.permission(repo, user);
      const legacy =
        permission === 'maintain' ? 'write' : permission === 'triage' ? 'read' : permission;
      return { body: { permission: legacy, role_name: permission, user: payloads.user(user) } };
    })
    .on('GET', '/repos/:owner/:repo/branches', async (request) => {
      const repo = repoOf(request.params);
      const branches = [...(await state.git(repo).branches())].map(([name, sha]) => ({
        name,
        commit: { sha },
        protected: false,
      }));
      return paginate(request, branches, `${payloads.baseUrl}/repos/${fullName(repo)}/branches`);
    })
    .on('GET', '/repos/:owner/:repo/branches/*branch', async (request) => {
      const repo = repoOf(request.params);
      const sha = await state.git(repo).revParse(`refs/heads/${request.params.branch}`);
      if (!sha) throw new HttpError(404, 'Branch not found');
      const commit = await state.git(repo).commit(sha);
      return {
        body: {
          name: request.params.branch,
          commit: { sha, commit: { message: commit?.message ?? '' } },
          protected: false,
        },
      };
    })
    .on('GET', '/repos/:owner/:repo/git/ref/*ref', async (request) =>
      refBody(request.params, request.params.ref ?? ''),
    )
    .on('GET', '/repos/:owner/:repo/git/matching-refs/*ref', async (request) => {
      const repo = repoOf(request.params);
      const prefix = (request.params.ref ?? '').replace(/^heads\/?/, '');
      const refs = [...(await state.git(repo).branches())]
        .filter(([name]) => name.startsWith(prefix))
        .map(([name, sha]) => refPayload(fullName(repo), name, sha));
      return { body: refs };
    })
    .on('POST', '/repos/:owner/:repo/git/refs', async (request) => {
      const repo = repoOf(request.params);
      const input = parseBody(
        z.object({ ref: z.string().regex(/^refs\/heads\/.+/), sha: z.string().min(7) }),
        request.body,
      );
      const branch = input.ref.replace(/^refs\/heads\//, '');
      const git = state.git(repo);
      if (await git.revParse(`refs/heads/${branch}`))
        throw new HttpError(422, 'Reference already exists');
      const sha = await git.revParse(input.sha);
      if (!sha) throw new HttpError(422, 'Object does not exist');
      await git.updateBranch(branch, sha, null);
      await announcePush(state, repo, request.actor, [{ branch, before: null, after: sha }]);
      return { status: 201, body: refPayload(fullName(repo), branch, sha) };
    })
    .on('PATCH', '/repos/:owner/:repo/git/refs/*ref', async (request) => {
      const repo = repoOf(request.params);
      const input = parseBody(
        z.object({ sha: z.string().min(7), force: z.boolean().optional() }),
        request.body,
      );
      const branch = (request.params.ref ?? '').replace(/^heads\//, '');
      const git = state.git(repo);
      const before = await git.revParse(`refs/heads/${branch}`);
      const after = await git.revParse(input.sha);
      if (!before) throw new HttpError(422, 'Reference does not exist');
      if (!after) throw new HttpError(422, 'Object does not exist');
      if (!input.force && !(await git.isAncestor(before, after)))
        throw new HttpError(422, 'Update is not a fast forward');
      await git.updateBranch(branch, after, before);
      await announcePush(state, repo, request.actor, [{ branch, before, after }]);
      return { body: refPayload(fullName(repo), branch, after) };
    })
    .on('DELETE', '/repos/:owner/:repo/git/refs/*ref', async (request) => {
      const repo = repoOf(request.params);
      const branch = (request.params.ref ?? '').replace(/^heads\//, '');
      const git = state.git(repo);
      const before = await git.revParse(`refs/heads/${branch}`);
      if (!before) throw new HttpError(422, 'Reference does not exist');
      await git.deleteBranch(branch);
      await announcePush(state, repo, request.actor, [{ branch, before, after: null }]);
      return { status: 204 };
    })
    .on('GET', '/repos/:owner/:repo/commits/:ref', async (request) => {
      const repo = repoOf(request.params);
      const git = state.git(repo);
      const sha =
        (await git.revParse(`refs/heads/${request.params.ref}`)) ??
        (await git.revParse(request.params.ref ?? ''));
      if (!sha) throw new HttpError(422, `No commit found for SHA: ${request.params.ref}`);
      const commit = await git.commit(sha);
      return {
        body: {
          sha,
          commit: {
            message: commit?.message ?? '',
            author: commit?.author,
            committer: commit?.committer,
          },
        },
      };
    });

  async function refBody(params: Record<string, string>, ref: string) {
    const repo = repoOf(params);
    const branch = ref.replace(/^heads\//, '');
    const sha = await state.git(repo).revParse(`refs/heads/${branch}`);
    if (!sha) throw notFound();
    return { body: refPayload(fullName(repo), branch, sha) };
  }

  function refPayload(name: string, branch: string, sha: string) {
    return {
      ref: `refs/heads/${branch}`,
      node_id: `REF_${sha.slice(0, 8)}`,
      url: `${payloads.baseUrl}/repos/${name}/git/refs/heads/${branch}`,
      object: { type: 'commit', sha, url: `${payloads.baseUrl}/repos/${name}/git/commits/${sha}` },
    };
  }
}
