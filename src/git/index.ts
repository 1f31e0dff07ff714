/** Git for Factory: a bare mirror per repository, a worktree per task, pushes with a short-lived token. */
export * from './commit.js';
export * from './gitCommand.js';
export * from './gitPlace.js';
export * from './layout.js';
export * from './mirror.js';
export * from './push.js';
export * from './remoteAuth.js';
export * from './worktree.js';
export * from './repositoryAccess.js';
export * from './agentGitView.js';
