import { repoConfigPath } from '../config/loadRepoConfig.js';
import type { Epic } from '../db/schema.js';

/**
 * An epic whose repository config is invalid is parked in BLOCKED with this
 * reason until the file is fixed; the prefix is how it is recognised again.
 */
const prefix = `Invalid ${repoConfigPath}`;

export function configBlockedReason(problems: readonly string[]): string {
  return `${prefix}: ${problems.join('; ')}`;
}

export function isBlockedByConfig(epic: Pick<Epic, 'state' | 'blockedReason'>): boolean {
  return epic.state === 'BLOCKED' && (epic.blockedReason ?? '').startsWith(prefix);
}

/** The key of the one comment on the epic that reports the config's problems. */
export const configCommentKey = 'config-problems';

export function configProblemsComment(problems: readonly string[], epicLabel: string): string {
  return [
    `**Factory cannot start this epic: \`${repoConfigPath}\` is invalid.**`,
    '',
    ...problems.map((problem) => `- ${codeSpan(problem)}`),
    '',
    `Fix the file on the default branch and Factory picks this epic up again by itself ` +
      `(or remove and re-add the \`${epicLabel}\` label).`,
  ].join('\n');
}

export function configFixedComment(): string {
  return `\`${repoConfigPath}\` is valid again: Factory is planning this epic.`;
}

/** Problems quote the maintainer's file; keep them from turning into markup or mentions. */
function codeSpan(text: string): string {
  const [where, ...rest] = text.split(': ');
  const detail = rest.join(': ').replace(/[`@<>]/g, (c) => `\\${c}`);
  return `\`${(where ?? '').replace(/`/g, "'")}\`: ${detail}`;
}
