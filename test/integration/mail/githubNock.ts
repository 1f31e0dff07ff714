import nock from 'nock';

/** GitHub as the mail tests meet it, over nock: permission look-ups, thread comments, state labels. */

export const api = 'https://api.github.com';
export const repoPath = '/repos/acme/widgets';

/** A maintainer, an outsider; each looked up once per test file thanks to the cache. */
export function permissionOf(login: string, permission: string, role = permission) {
  return nock(api)
    .get(`${repoPath}/collaborators/${login}/permission`)
    .reply(200, { permission, role_name: role, user: { login } });
}

/** Expects one bot comment on the issue whose text matches, and answers like GitHub. */
export function expectComment(
  issueNumber: number,
  matches: (body: string) => boolean,
  id = 90_000 + issueNumber,
) {
  const bodies: string[] = [];
  const scope = nock(api)
    .post(`${repoPath}/issues/${issueNumber}/comments`, (body: { body: string }) => {
      bodies.push(body.body);
      return matches(body.body);
    })
    .reply(201, (_uri, body) => ({
      id,
      body: (body as { body: string }).body,
      html_url: `https://github.com/acme/widgets/issues/${issueNumber}#issuecomment-${id}`,
      user: { login: 'factory-app[bot]' },
    }));
  return { scope, bodies };
}

/** The repository has no factory.yml (defaults), and the issue carries `labels`. */
export function expectStateLabel(issueNumber: number, labels: string[], add?: string) {
  const scope = nock(api)
    .get(`${repoPath}/contents/.github%2Ffactory.yml`)
    .reply(404, { message: 'Not Found' })
    .get('/repos/acme/.github/contents/.github%2Ffactory.yml')
    .reply(404, { message: 'Not Found' })
    .get(`${repoPath}/issues/${issueNumber}/labels`)
    .query(true)
    .reply(
      200,
      labels.map((name) => ({ name })),
    );
  const stateLabel = (l: string) => l.startsWith('factory:') && l !== 'factory:epic';
  for (const name of labels.filter((l) => stateLabel(l) && l !== add)) {
    scope
      .delete(`${repoPath}/issues/${issueNumber}/labels/${encodeURIComponent(name)}`)
      .reply(200, []);
  }
  if (add && !labels.includes(add)) {
    scope.post(`${repoPath}/issues/${issueNumber}/labels`, { labels: [add] }).reply(200, []);
  }
  return scope;
}
