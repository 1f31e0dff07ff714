import type { LineComment } from './verdict.js';

/**
 * GitHub accepts a review comment only on a line the diff shows. From a
 * unified diff, which new-side lines each file shows; comments elsewhere are
 * kept in the review body instead of failing the whole review. Pure.
 */

export function commentableLines(diff: string): Map<string, Set<number>> {
  const files = new Map<string, Set<number>>();
  let current: Set<number> | undefined;
  let line = 0;
  for (const text of diff.split('\n')) {
    if (text.startsWith('diff --git ')) {
      current = undefined;
      continue;
    }
    if (text.startsWith('+++ ')) {
      const path = text.slice(4).replace(/^b\//, '');
      current = path === '/dev/null' ? undefined : new Set<number>();
      if (current) files.set(path, current);
      continue;
    }
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(text);
    if (hunk?.[1]) {
      line = Number(hunk[1]);
      continue;
    }
    if (!current || text.startsWith('--- ') || text.startsWith('\\')) continue;
    if (text.startsWith('+') || text.startsWith(' ')) {
      current.add(line);
      line += 1;
    }
  }
  return files;
}

export function placeComments(
  diff: string,
  comments: readonly LineComment[],
): { inline: LineComment[]; elsewhere: LineComment[] } {
  const lines = commentableLines(diff);
  const inline: LineComment[] = [];
  const elsewhere: LineComment[] = [];
  for (const comment of comments) {
    const path = comment.path.replace(/^\.\//, '');
    if (lines.get(path)?.has(comment.line)) inline.push({ ...comment, path });
    else elsewhere.push(comment);
  }
  return { inline, elsewhere };
}
