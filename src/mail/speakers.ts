/**
 * Who may command an agent: people whose role on the repository is write,
 * maintain or admin. Everyone else may comment, and agents may read it as
 * untrusted context, but nothing they say is acted on.
 */

export const repositoryRoles = ['admin', 'maintain', 'write', 'triage', 'read', 'none'] as const;
export type RepositoryRole = (typeof repositoryRoles)[number];

const commanders: readonly RepositoryRole[] = ['admin', 'maintain', 'write'];

export function mayCommand(role: RepositoryRole): boolean {
  return commanders.includes(role);
}

/**
 * GitHub's permission endpoint answers `permission` in the legacy vocabulary
 * (maintain shows as write, triage as read) and `role_name` in the current one;
 * custom roles appear in `role_name` only, so the legacy field decides then.
 */
export function roleFromPermissionResponse(response: {
  permission?: string | null;
  role_name?: string | null;
}): RepositoryRole {
  const named = asRole(response.role_name);
  if (named) return named;
  return asRole(response.permission) ?? 'none';
}

function asRole(value: string | null | undefined): RepositoryRole | undefined {
  const lower = value?.toLowerCase();
  return (repositoryRoles as readonly string[]).includes(lower ?? '')
    ? (lower as RepositoryRole)
    : undefined;
}

export type SenderKind = 'person' | 'bot';

/** Bots never speak to agents — not other apps, and never this App: no loops. */
export function isBotSender(sender: { login: string; type?: string }, botLogin: string): boolean {
  return (
    sender.type === 'Bot' ||
    sender.login.toLowerCase() === botLogin.toLowerCase() ||
    /\[bot\]$/i.test(sender.login)
  );
}
