import { secrets } from '../secrets/registry.js';

/**
 * An Octokit plugin: every write to GitHub (POST, PATCH, PUT — comments, PR
 * bodies, reviews, check runs, issue edits) has each string of its request
 * passed through the secret registry before it leaves. Whatever text reached
 * a write — a test's output, an agent's summary, an error that echoed a token —
 * a secret value the app holds does not reach GitHub.
 */

const writeMethods = new Set(['POST', 'PATCH', 'PUT']);
/** Request options that are not the request's content. */
const notContent = new Set(['method', 'url', 'baseUrl', 'headers', 'request', 'mediaType']);

/** The part of an Octokit the plugin uses (any Octokit class has it). */
interface HookedOctokit {
  hook: {
    before(name: 'request', hook: (options: { method: string }) => void): void;
  };
}

export function redactWrites(octokit: HookedOctokit): void {
  octokit.hook.before('request', (options) => {
    if (!writeMethods.has(options.method.toUpperCase())) return;
    const fields = options as unknown as Record<string, unknown>;
    for (const key of Object.keys(fields)) {
      if (!notContent.has(key)) fields[key] = secrets.redactDeep(fields[key]);
    }
  });
}
