import { describe, expect, it } from 'vitest';
import {
  isBotSender,
  mayCommand,
  repositoryRoles,
  roleFromPermissionResponse,
} from '../../../src/mail/speakers.js';

describe('mayCommand', () => {
  it.each(repositoryRoles)('%s', (role) => {
    expect(mayCommand(role)).toBe(['admin', 'maintain', 'write'].includes(role));
  });
});

describe('roleFromPermissionResponse', () => {
  it('prefers role_name, which tells maintain from write and triage from read', () => {
    expect(roleFromPermissionResponse({ permission: 'write', role_name: 'maintain' })).toBe(
      'maintain',
    );
    expect(roleFromPermissionResponse({ permission: 'read', role_name: 'triage' })).toBe('triage');
  });

  it('falls back to the legacy permission for custom roles and missing names', () => {
    expect(roleFromPermissionResponse({ permission: 'write', role_name: 'release-manager' })).toBe(
      'write',
    );
    expect(roleFromPermissionResponse({ permission: 'ADMIN' })).toBe('admin');
    expect(roleFromPermissionResponse({ permission: 'bogus' })).toBe('none');
    expect(roleFromPermissionResponse({})).toBe('none');
  });
});

describe('isBotSender', () => {
  const app = 'factory-app[bot]';
  it('recognises this App, other apps and bot-typed senders', () => {
    expect(isBotSender({ login: 'factory-app[bot]', type: 'Bot' }, app)).toBe(true);
    expect(isBotSender({ login: 'Factory-App[bot]' }, app)).toBe(true);
    expect(isBotSender({ login: 'dependabot[bot]', type: 'Bot' }, app)).toBe(true);
    expect(isBotSender({ login: 'ci-runner', type: 'Bot' }, app)).toBe(true);
  });
  it('lets people through', () => {
    expect(isBotSender({ login: 'alice', type: 'User' }, app)).toBe(false);
  });
});
