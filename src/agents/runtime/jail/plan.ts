/**
 * The bubblewrap command line of one jail, as a pure function of what the jail
 * may see. The filesystem is an allow-list: the jail starts from an empty root
 * and only what is listed here is mounted, so anything not named (the app's
 * folder, its `.env` and key file, the data folder, other worktrees and agents'
 * homes, the host's /tmp) does not exist inside. Every namespace is new: user,
 * mount, PID (only the jail's processes are visible), network (only a loopback
 * of its own), IPC, UTS, cgroup; user namespaces are disabled inside, so the
 * jailed process cannot build a namespace of its own to undo a mount.
 */

export interface JailMount {
  /** A folder or file on the host, mounted at the same path inside. */
  path: string;
  writable: boolean;
  /** Mount this host file or folder at `path` instead (the agent's own `.git` over the worktree's). */
  source?: string;
}

export interface JailPlan {
  /**
   * Host folders the system needs (read-only): /usr, /etc, … — only those that exist; a
   * folder that is a symbolic link on the host (merged /usr: /bin → usr/bin) is the same link inside.
   */
  systemFolders: Array<{ path: string; linkTo?: string }>;
  /** Files and folders inside the system folders hidden from the jail (e.g. /etc/shadow). */
  hidden: Array<{ path: string; kind: 'file' | 'folder' }>;
  /**
   * An empty regular file bound over each hidden file (a bound /dev/null cannot be
   * opened: bubblewrap mounts binds `nodev`).
   */
  emptyFile: string;
  /** The task's worktree, the agent's home, the engine's binary, … */
  mounts: JailMount[];
  /** Host folders bound at another path inside (the run's sockets at /run/factory). */
  sockets?: { hostFolder: string; jailFolder: string };
  cwd: string;
  /** The whole environment inside: nothing of the app's is inherited. */
  env: Readonly<Record<string, string>>;
  argv: readonly string[];
}

/** The namespaces and process rules every jail gets; the start-up probe uses the same ones. */
export const namespaceArguments: readonly string[] = [
  '--unshare-user',
  '--disable-userns',
  '--unshare-pid',
  '--unshare-net',
  '--unshare-ipc',
  '--unshare-uts',
  '--unshare-cgroup-try',
  '--hostname',
  'factory-jail',
  '--die-with-parent',
  '--new-session',
];

export const systemFolderCandidates: readonly string[] = [
  '/usr',
  '/bin',
  '/sbin',
  '/lib',
  '/lib32',
  '/lib64',
  '/etc',
];

/** Host secrets that live inside the system folders the jail needs. */
export const hiddenSystemPaths: ReadonlyArray<{ path: string; kind: 'file' | 'folder' }> = [
  { path: '/etc/shadow', kind: 'file' },
  { path: '/etc/gshadow', kind: 'file' },
  { path: '/etc/shadow-', kind: 'file' },
  { path: '/etc/gshadow-', kind: 'file' },
  { path: '/etc/sudoers', kind: 'file' },
  { path: '/etc/ssh', kind: 'folder' },
  { path: '/etc/ssl/private', kind: 'folder' },
  { path: '/etc/gitconfig', kind: 'file' },
];

/** The PATH inside: system folders only (the app's PATH may name folders the jail does not have). */
export const jailPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function bwrapArguments(plan: JailPlan): string[] {
  const args = [...namespaceArguments];
  for (const folder of plan.systemFolders) {
    if (folder.linkTo) args.push('--symlink', folder.linkTo, folder.path);
    else args.push('--ro-bind', folder.path, folder.path);
  }
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--tmpfs', '/run');
  for (const hidden of plan.hidden) {
    if (hidden.kind === 'file') args.push('--ro-bind', plan.emptyFile, hidden.path);
    else args.push('--tmpfs', hidden.path, '--remount-ro', hidden.path);
  }
  // Outer folders first, so a read-only parent never covers a writable child.
  const mounts = [...plan.mounts].sort((a, b) => depth(a.path) - depth(b.path));
  for (const mount of mounts)
    args.push(mount.writable ? '--bind' : '--ro-bind', mount.source ?? mount.path, mount.path);
  if (plan.sockets) args.push('--bind', plan.sockets.hostFolder, plan.sockets.jailFolder);
  args.push('--clearenv');
  for (const [name, value] of Object.entries(plan.env)) args.push('--setenv', name, value);
  args.push('--chdir', plan.cwd, '--', ...plan.argv);
  return args;
}

function depth(target: string): number {
  return target.split('/').filter(Boolean).length;
}
