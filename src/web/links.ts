/**
 * Links to GitHub are built from a configured web base (github.com, a GitHub
 * Enterprise host, or the local emulator in the demo) and from numbers we
 * stored — never from URLs in payloads, which could carry `javascript:`.
 */
export interface GitHubLinks {
  repo(owner: string, repo: string): string;
  issue(owner: string, repo: string, number: number): string;
  pull(owner: string, repo: string, number: number): string;
}

export function gitHubLinks(webBase: string): GitHubLinks {
  const base = new URL(webBase);
  if (base.protocol !== 'https:' && base.protocol !== 'http:') {
    throw new Error(`The GitHub web base must be an http(s) URL, got ${base.protocol}`);
  }
  const root = base.toString().replace(/\/+$/, '');
  const repo = (owner: string, name: string) =>
    `${root}/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`;
  return {
    repo,
    issue: (owner, name, number) => `${repo(owner, name)}/issues/${Math.trunc(number)}`,
    pull: (owner, name, number) => `${repo(owner, name)}/pull/${Math.trunc(number)}`,
  };
}

/** A stored URL (e.g. a comment's html_url) is shown only if it is plain http(s). */
export function safeHttpUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.toString() : null;
  } catch {
    return null;
  }
}
