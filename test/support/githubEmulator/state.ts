import path from 'node:path';
import { BareRepo } from './bareRepo.js';
import { notFound } from './http.js';
import type { Payloads } from './payloads.js';
import {
  fullName,
  type IssueRecord,
  type Permission,
  type RepoRecord,
  type UserKind,
  type UserRecord,
} from './records.js';
import type { WebhookSender } from './webhooks.js';

export interface AppIdentity {
  id: number;
  slug: string;
  name: string;
  /** `<slug>[bot]`, the user the App's writes are attributed to. */
  bot: UserRecord;
  owner: UserRecord;
  privateKey: string;
  publicKey: string;
  webhookSecret: string;
  installationId: number;
}

/** Something the emulator does when a PR's head moves (the simulated CI listens here). */
export type PullHeadListener = (repo: RepoRecord, pull: IssueRecord) => void;

/**
 * The emulated GitHub's memory, shared by the HTTP routes and the person API:
 * users, repositories, ids, and the one way changes are announced (`emit`).
 */
export class EmulatorState {
  readonly users = new Map<string, UserRecord>();
  readonly repos = new Map<string, RepoRecord>();
  readonly pullHeadListeners = new Set<PullHeadListener>();
  private lastId = 1_000_000;

  constructor(
    readonly app: AppIdentity,
    readonly payloads: Payloads,
    readonly webhooks: WebhookSender,
    readonly reposRoot: string,
  ) {
    this.users.set(app.bot.login.toLowerCase(), app.bot);
    this.users.set(app.owner.login.toLowerCase(), app.owner);
  }

  /** GitHub ids are large and distinct from issue numbers, so mixing them up fails here too. */
  newId(): number {
    this.lastId += 1 + Math.floor(Math.random() * 7);
    return this.lastId;
  }

  user(login: string, type: UserKind = 'User'): UserRecord {
    const key = login.toLowerCase();
    const known = this.users.get(key);
    if (known) return known;
    const id = this.newId();
    const user: UserRecord = {
      id,
      login,
      type,
      name: login,
      email: `${id}+${login}@users.noreply.emulator`,
    };
    this.users.set(key, user);
    return user;
  }

  knownUser(login: string): UserRecord {
    const user = this.users.get(login.toLowerCase());
    if (!user) throw notFound();
    return user;
  }

  repo(owner: string, name: string): RepoRecord {
    const repo = this.repos.get(`${owner}/${name}`.toLowerCase());
    if (!repo) throw notFound();
    return repo;
  }

  gitDirFor(owner: string, name: string) {
    return path.join(this.reposRoot, owner, `${name}.git`);
  }

  git(repo: RepoRecord): BareRepo {
    return new BareRepo(repo.gitDir);
  }

  issue(repo: RepoRecord, number: number | string): IssueRecord {
    const issue = repo.issues.get(Number(number));
    if (!issue) throw notFound();
    return issue;
  }

  pull(
    repo: RepoRecord,
    number: number | string,
  ): IssueRecord & { pull: NonNullable<IssueRecord['pull']> } {
    const issue = this.issue(repo, number);
    if (!issue.pull) throw notFound();
    return issue as IssueRecord & { pull: NonNullable<IssueRecord['pull']> };
  }

  issueById(repo: RepoRecord, id: number): IssueRecord | undefined {
    for (const issue of repo.issues.values()) if (issue.id === id) return issue;
    return undefined;
  }

  permission(repo: RepoRecord, user: UserRecord): Permission {
    if (user.login === repo.owner.login) return 'admin';
    return repo.collaborators.get(user.login.toLowerCase()) ?? 'read';
  }

  issuePayload(repo: RepoRecord, issue: IssueRecord) {
    const subs = issue.subIssueIds
      .map((id) => this.issueById(repo, id))
      .filter((i) => i !== undefined);
    const parent = issue.parentId === null ? undefined : this.issueById(repo, issue.parentId);
    return this.payloads.issue(repo, issue, subs, parent);
  }

  /** Announces a change as GitHub does: a webhook to the App with repository, sender and installation. */
  emit(event: string, repo: RepoRecord, sender: UserRecord, body: Record<string, unknown>) {
    return this.webhooks.send(event, {
      ...body,
      repository: this.payloads.repository(repo),
      sender: this.payloads.user(sender),
      installation: { id: this.app.installationId, node_id: `MDIz_${this.app.installationId}` },
    });
  }

  touch(issue: IssueRecord) {
    issue.updatedAt = new Date();
  }

  describe(repo: RepoRecord) {
    return fullName(repo);
  }
}
