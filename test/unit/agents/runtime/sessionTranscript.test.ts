import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sessionTranscriptExists } from '../../../../src/agents/runtime/sessionTranscript.js';

const home = mkdtempSync(path.join(tmpdir(), 'factory-transcript-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function transcript(project: string, sessionId: string) {
  const dir = path.join(home, '.claude', 'projects', project);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${sessionId}.jsonl`), '{}\n');
}

describe('sessionTranscriptExists', () => {
  const cwd = '/srv/factory/work.trees/acme/app/tasks/1-2';

  it('finds a session in the project folder of its working directory, as the engine names it', () => {
    transcript('-srv-factory-work-trees-acme-app-tasks-1-2', 'aaaa-1111');
    expect(sessionTranscriptExists(home, 'aaaa-1111', cwd)).toBe(true);
  });

  it('does not find a session of another working directory, or one never written', () => {
    transcript('-srv-factory-work-trees-acme-app-tasks-1-3', 'bbbb-2222');
    expect(sessionTranscriptExists(home, 'bbbb-2222', cwd)).toBe(false);
    expect(sessionTranscriptExists(home, 'cccc-3333', cwd)).toBe(false);
  });

  it('matches a long working directory by the prefix the engine keeps before its hash', () => {
    const long = `/srv/${'x'.repeat(240)}`;
    const name = long.replace(/[^a-zA-Z0-9]/g, '-');
    transcript(`${name.slice(0, 200)}-1a2b3c`, 'dddd-4444');
    expect(sessionTranscriptExists(home, 'dddd-4444', long)).toBe(true);
  });

  it('refuses a session id that is not a plain id (no path tricks)', () => {
    transcript('-srv-factory-work-trees-acme-app-tasks-1-2', 'eeee');
    expect(
      sessionTranscriptExists(home, '../-srv-factory-work-trees-acme-app-tasks-1-2/eeee', cwd),
    ).toBe(false);
  });

  it('is false when the home has no projects at all', () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'factory-transcript-empty-'));
    try {
      expect(sessionTranscriptExists(empty, 'aaaa-1111', cwd)).toBe(false);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
