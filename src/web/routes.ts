/**
 * Which paths under /factory are the status page's. Anything else returns
 * null so other handlers (the health check, Probot's own) get their turn.
 */
export type Route =
  | { kind: 'overview' }
  | { kind: 'epic'; id: number }
  | { kind: 'agent'; id: number }
  | { kind: 'api-overview' }
  | { kind: 'api-epic'; id: number }
  | { kind: 'api-agent'; id: number }
  | { kind: 'api-not-found' }
  | { kind: 'events' }
  | { kind: 'asset'; name: string }
  | { kind: 'not-found' };

/** Ids are database serials: positive and within int4. */
const idPattern = '([1-9][0-9]{0,9})';
const maxId = 2_147_483_647;

const patterns: [RegExp, (id: number) => Route][] = [
  [new RegExp(`^/factory/epics/${idPattern}/?$`), (id) => ({ kind: 'epic', id })],
  [new RegExp(`^/factory/agents/${idPattern}/?$`), (id) => ({ kind: 'agent', id })],
  [new RegExp(`^/factory/api/epics/${idPattern}$`), (id) => ({ kind: 'api-epic', id })],
  [new RegExp(`^/factory/api/agents/${idPattern}$`), (id) => ({ kind: 'api-agent', id })],
];

export function matchRoute(pathname: string): Route | null {
  if (pathname === '/factory' || pathname === '/factory/') return { kind: 'overview' };
  if (pathname === '/factory/api/overview') return { kind: 'api-overview' };
  if (pathname === '/factory/events') return { kind: 'events' };
  const asset = /^\/factory\/assets\/([a-z0-9-]+\.(?:css|js|svg))$/.exec(pathname);
  if (asset?.[1]) return { kind: 'asset', name: asset[1] };
  for (const [pattern, route] of patterns) {
    const match = pattern.exec(pathname);
    if (match?.[1]) {
      const id = Number(match[1]);
      if (id <= maxId) return route(id);
    }
  }
  if (pathname === '/factory/api' || pathname.startsWith('/factory/api/')) {
    return { kind: 'api-not-found' };
  }
  if (/^\/factory\/(epics|agents|assets)(\/|$)/.test(pathname)) return { kind: 'not-found' };
  return null;
}

export function isApiRoute(route: Route): boolean {
  return route.kind.startsWith('api-');
}

/** A page the browser follows live: what `/factory/events?view=` names. */
export type LiveView =
  { kind: 'overview' } | { kind: 'epic'; id: number } | { kind: 'agent'; id: number };

export function liveViewKey(view: LiveView): string {
  return view.kind === 'overview' ? 'overview' : `${view.kind}:${view.id}`;
}

export function parseLiveView(key: string | null): LiveView | null {
  if (key === 'overview') return { kind: 'overview' };
  const match = /^(epic|agent):([1-9][0-9]{0,9})$/.exec(key ?? '');
  if (!match?.[1] || !match[2]) return null;
  const id = Number(match[2]);
  if (id > maxId) return null;
  return match[1] === 'epic' ? { kind: 'epic', id } : { kind: 'agent', id };
}
