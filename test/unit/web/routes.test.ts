import { describe, expect, it } from 'vitest';
import { liveViewKey, matchRoute, parseLiveView } from '../../../src/web/routes.js';

describe('matchRoute', () => {
  it.each([
    ['/factory', { kind: 'overview' }],
    ['/factory/', { kind: 'overview' }],
    ['/factory/epics/12', { kind: 'epic', id: 12 }],
    ['/factory/agents/3/', { kind: 'agent', id: 3 }],
    ['/factory/api/overview', { kind: 'api-overview' }],
    ['/factory/api/epics/12', { kind: 'api-epic', id: 12 }],
    ['/factory/api/agents/3', { kind: 'api-agent', id: 3 }],
    ['/factory/api/secrets', { kind: 'api-not-found' }],
    ['/factory/events', { kind: 'events' }],
    ['/factory/assets/status.css', { kind: 'asset', name: 'status.css' }],
    ['/factory/assets/../../etc/passwd', { kind: 'not-found' }],
    ['/factory/epics/0', { kind: 'not-found' }],
    ['/factory/epics/abc', { kind: 'not-found' }],
    ['/factory/epics/99999999999', { kind: 'not-found' }],
  ])('%s', (path, route) => {
    expect(matchRoute(path)).toEqual(route);
  });

  it('leaves other paths, including the health check, to other handlers', () => {
    expect(matchRoute('/factory/healthz')).toBeNull();
    expect(matchRoute('/api/github/webhooks')).toBeNull();
    expect(matchRoute('/factoryx')).toBeNull();
    expect(matchRoute('/')).toBeNull();
  });
});

describe('live views', () => {
  it('round-trips view keys and rejects anything else', () => {
    for (const key of ['overview', 'epic:4', 'agent:17']) {
      const view = parseLiveView(key);
      expect(view).not.toBeNull();
      if (view) expect(liveViewKey(view)).toBe(key);
    }
    for (const bad of [null, '', 'epic:', 'epic:0', 'task:1', 'epic:1;drop', 'agent:99999999999']) {
      expect(parseLiveView(bad)).toBeNull();
    }
  });
});
