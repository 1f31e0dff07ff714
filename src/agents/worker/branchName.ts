/**
 * Pure: the task's branch, `<prefix>/<epic>-<task>-<slug>`. Derived only from
 * the task's record, so every attempt and every process names the same branch.
 */
export function taskBranchName(
  prefix: string,
  epicIssue: number,
  taskIssue: number,
  title: string,
): string {
  const slug = title
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/g, '');
  return `${prefix}/${epicIssue}-${taskIssue}${slug ? `-${slug}` : ''}`;
}
