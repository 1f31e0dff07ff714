/** Typed "ensure" verbs over Octokit: find what exists, compare, create or update. */
export * from './octokit.js';
export * from './labels.js';
export * from './stateLabels.js';
export * from './comments.js';
export * from './reactions.js';
