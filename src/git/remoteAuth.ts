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
 * Repository config an agent could set (its worktree shares the mirror's
 * config) to redirect an authenticated command or run code during it.
 * A push or fetch is refused while any of these is present.
 */
const unsafeConfigKey =
  /^(url\..*|http\..*|credential.*|include.*|includeif\..*|core\.(hookspath|sshcommand|gitproxy|askpass|fsmonitor)|remote\..*\.(proxy|pushurl|receivepack|uploadpack|vcs)|protocol\..*)$/i;

export function unsafeConfigKeys(configListing: string): string[] {
  return configListing
    .split('\n')
    .map((line) => line.split('=')[0]?.trim() ?? '')
    .filter((key) => key !== '' && unsafeConfigKey.test(key));
}
