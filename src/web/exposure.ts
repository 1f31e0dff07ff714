/**
 * Who may read the status page. It shows issue titles, decisions and mail, so
 * it is private by default: with `STATUS_PAGE_TOKEN` set the token is asked
 * for; without one the page is open only when the server listens on loopback
 * (only this machine can reach it) or when `STATUS_PAGE_PUBLIC=true` says so.
 * Otherwise it is closed, and says how to open it.
 */
export type StatusPageExposure =
  | { kind: 'token'; token: string }
  | { kind: 'open'; because: 'loopback' | 'public' }
  | { kind: 'closed'; reason: string };

export function statusPageExposure(settings: {
  host: string;
  token?: string;
  publicPage: boolean;
}): StatusPageExposure {
  if (settings.token !== undefined) return { kind: 'token', token: settings.token };
  if (isLoopback(settings.host)) return { kind: 'open', because: 'loopback' };
  if (settings.publicPage) return { kind: 'open', because: 'public' };
  return {
    kind: 'closed',
    reason: `the server listens on ${settings.host} with no STATUS_PAGE_TOKEN: set STATUS_PAGE_TOKEN to require a token, or STATUS_PAGE_PUBLIC=true to open it to anyone who can reach the port`,
  };
}

export function isLoopback(host: string): boolean {
  const name = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return name === 'localhost' || name === '::1' || /^127(\.\d{1,3}){3}$/.test(name);
}
