import { randomUUID } from 'node:crypto';
import type { EmitterWebhookEvent } from '@octokit/webhooks';
import type { Probot } from 'probot';

/** Minimal but shape-true webhook payloads for the repository `acme/shop`. */
export const testRepo = {
  id: 4242,
  name: 'shop',
  full_name: 'acme/shop',
  owner: { login: 'acme', id: 1, type: 'Organization' },
  default_branch: 'main',
  private: false,
};
export const testInstallation = { id: 5151, node_id: 'inst' };
export const maintainer = { login: 'maria', id: 11, type: 'User' };
export const testBotLogin = 'factory-test[bot]';

export function issue(number: number, overrides: Record<string, unknown> = {}) {
  return {
    id: 900_000 + number,
    number,
    title: `Issue ${number}`,
    body: `Body of ${number}`,
    state: 'open',
    labels: [],
    user: maintainer,
    ...overrides,
  };
}

export function labelEvent(
  action: 'labeled' | 'unlabeled',
  issueNumber: number,
  labelName: string,
  sender: { login: string; id: number; type: string } = maintainer,
) {
  return {
    action,
    issue: issue(issueNumber),
    label: { id: 1, name: labelName, color: 'ededed' },
    repository: testRepo,
    installation: testInstallation,
    sender,
  };
}

export function subIssueAddedEvent(parentNumber: number, subNumber: number, subRepo = testRepo) {
  return {
    action: 'sub_issue_added',
    parent_issue_id: issue(parentNumber).id,
    parent_issue: issue(parentNumber),
    sub_issue_id: issue(subNumber).id,
    sub_issue: issue(subNumber, { title: `Task ${subNumber}`, body: 'Do the thing' }),
    sub_issue_repo: subRepo,
    repository: testRepo,
    installation: testInstallation,
    sender: maintainer,
  };
}

export function pushEvent(
  files: { added?: string[]; modified?: string[] },
  ref = 'refs/heads/main',
) {
  return {
    ref,
    before: 'a'.repeat(40),
    after: 'b'.repeat(40),
    commits: [
      { id: 'b'.repeat(40), added: files.added ?? [], modified: files.modified ?? [], removed: [] },
    ],
    repository: testRepo,
    installation: testInstallation,
    sender: maintainer,
  };
}

/** Delivers an event to the Probot instance, as GitHub would; returns the delivery id. */
export async function deliver(
  probot: Probot,
  name: string,
  payload: object,
  id: string = randomUUID(),
): Promise<string> {
  await probot.receive({ id, name, payload } as unknown as EmitterWebhookEvent);
  return id;
}
