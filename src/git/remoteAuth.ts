/**
 * How git authenticates to GitHub without the token touching disk: an HTTP
 * Authorization header given through git's GIT_CONFIG_COUNT/KEY/VALUE
 * environment, which exists only in the environment of the one git process
 * (and its transport helper) that needs it. Nothing is written to a config
 * file, a remote URL or a credential store, and the agent's environment is
 * built separately by the runtime's allow-list.
 *
 * The header is scoped to the remote's URL (`http.<url>.extraHeader`), so a
 * URL rewritten elsewhere never receives it, and hooks are switched off for
 * the command, so nothing from the repository runs while the header is set.
 */

export interface RemoteCredentials {
  /** The repository's clone URL, as the API reports it (`clone_url`). */
  url: string;
  /** A short-lived installation token; omitted for local remotes in tests. */
  token?: string;
}

export function authenticatedGitEnv(credentials: RemoteCredentials): Record<string, string> {
  const settings: [string, string][] = [
    ['core.hooksPath', '/dev/null'],
    ['credential.helper', ''],
  ];
  if (credentials.token && isHttpUrl(credentials.url)) {
    const basic = Buffer.from(`x-access-token:${credentials.token}`).toString('base64');
    settings.push([`http.${credentials.url}.extraHeader`, `Authorization: Basic ${basic}`]);
  }
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(settings.length) };
  settings.forEach(([key, value], index) => {
    env[`GIT_CONFIG_KEY_${index}`] = key;
    env[`GIT_CONFIG_VALUE_${index}`] = value;
  });
  return env;
}

export function isHttpUrl(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

/**
 * Repository config that would redirect an authenticated command or run a
 * program during any command: remotes, credentials and includes, and every
 * driver a `.gitattributes` can name (filters, textconv, diff and merge
 * drivers) plus the core settings that name a program. The app never writes
 * any of these; in the jail the agent cannot reach the mirror's config, so
 * finding one means agents ran unjailed (AGENT_SANDBOX=off) or someone edited
 * the mirror: a push, fetch or commit is refused until it is removed.
 */
const unsafeConfigKey =
  /^(url\..*|http\..*|credential.*|include.*|includeif\..*|filter\..*|merge\..*\.driver|diff\.external|diff\..*\.(textconv|command)|core\.(hookspath|sshcommand|gitproxy|askpass|fsmonitor|pager|editor|attributesfile|worktree)|extensions\.worktreeconfig|remote\..*\.(proxy|pushurl|receivepack|uploadpack|vcs)|protocol\..*)$/i;

export function unsafeConfigKeys(configListing: string): string[] {
  return configListing
    .split('\n')
    .map((line) => line.split('=')[0]?.trim() ?? '')
    .filter((key) => key !== '' && unsafeConfigKey.test(key));
}
