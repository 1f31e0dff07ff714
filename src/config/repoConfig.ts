import { z } from 'zod';
import { isSecretName } from './secretNames.js';

/**
 * `.github/factory.yml`, per repository. Every field has a default so an
 * absent file means "all defaults"; an invalid file is reported to the people
 * who wrote it and never crashes the app (see `parseRepoConfig`).
 */

const commandList = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (typeof value === 'string' ? [value] : value));

export const repoConfigSchema = z
  .object({
    labels: z
      .object({
        epic: z.string().min(1).default('factory:epic'),
        planning: z.string().min(1).default('factory:planning'),
        inProgress: z.string().min(1).default('factory:in-progress'),
        review: z.string().min(1).default('factory:review'),
        blocked: z.string().min(1).default('factory:blocked'),
        done: z.string().min(1).default('factory:done'),
      })
      .strict()
      .prefault({}),
    models: z
      .object({
        supervisor: z.string().min(1).optional(),
        worker: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
    /** Commands run in a fresh worktree before the agent starts (e.g. `npm ci`). */
    setup: commandList.default([]),
    /** Commands whose success means the task's change is sound (e.g. `npm test`). */
    test: commandList.default([]),
    maxParallelTasks: z.number().int().min(1).max(50).default(3),
    maxAttempts: z.number().int().min(1).max(10).default(3),
    /** Rounds of "tests failed, here is the output" the worker gets within one attempt. */
    maxTestRounds: z.number().int().min(0).max(10).default(2),
    planApproval: z.boolean().default(false),
    humanReviewRequired: z.boolean().default(false),
    mergeMethod: z.enum(['merge', 'squash', 'rebase']).default('squash'),
    /** How the app brings a PR up to date with its base before merging. */
    updateMethod: z.enum(['rebase', 'merge']).default('rebase'),
    mergeQueue: z
      .object({
        /**
         * Speculative CI: while the head PR's checks run, the app builds the next
         * (approved) PR on top of the head so its checks run at the same time.
         * Never with `mergeMethod: rebase` (GitHub would replay the head's commits).
         */
        speculate: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    /** Which checks must be green: all reported, none, or these names. */
    requiredChecks: z.union([z.enum(['all', 'none']), z.array(z.string().min(1))]).default('all'),
    branchPrefix: z
      .string()
      .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, 'a git branch prefix such as "factory"')
      .default('factory'),
    budget: z
      .object({
        usd: z.number().positive().optional(),
        tokens: z.number().int().positive().optional(),
        /** Per task, over all its attempts and runs; enforced by the model proxy. */
        task: z
          .object({
            usd: z.number().positive().optional(),
            tokens: z.number().int().positive().optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .prefault({}),
    /**
     * The jail's network for this repository's `setup` commands: the hosts (a package
     * registry, say) they may reach through the app's egress proxy. Empty: none. Agents
     * and `test` commands never get any network but the model.
     */
    sandbox: z
      .object({
        allowHosts: z
          .array(
            z
              .string()
              .regex(
                /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:\d{1,5})?$/,
                'a host name such as registry.npmjs.org, *.example.com or host:port',
              ),
          )
          .default([]),
      })
      .strict()
      .prefault({}),
    /** Names of environment variables of the app's process that the worker agent may see. */
    agentEnv: z
      .array(
        z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
          .refine((name) => !isSecretName(name), {
            error: (issue) =>
              `${String(issue.input)} looks like a secret; Factory never gives one to agents or to setup/test commands, remove it`,
          }),
      )
      .default([]),
  })
  .strict();

export type RepoConfig = z.infer<typeof repoConfigSchema>;

export const defaultRepoConfig: RepoConfig = repoConfigSchema.parse({});

export type RepoConfigResult =
  { ok: true; config: RepoConfig } | { ok: false; config: RepoConfig; problems: string[] };

/**
 * Validates a parsed YAML document. On failure the defaults are returned
 * alongside the problems so the caller can report them and decide whether to go on.
 */
export function parseRepoConfig(raw: unknown): RepoConfigResult {
  const result = repoConfigSchema.safeParse(raw ?? {});
  if (result.success) return { ok: true, config: result.data };
  const problems = result.error.issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.join('.') : '(file)';
    return `${where}: ${issue.message}`;
  });
  return { ok: false, config: defaultRepoConfig, problems };
}
