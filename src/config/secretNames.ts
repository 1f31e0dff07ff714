/**
 * Names of environment variables that hold, or look like they hold, a secret.
 * Neither an agent nor a repository's setup/test command is ever given one,
 * whatever `.github/factory.yml` asks for: those commands run the repository's
 * code, and their output is posted on the task's issue.
 */

/** Never given out, whatever asks for them. */
const forbiddenNames = new Set([
  'PRIVATE_KEY',
  'PRIVATE_KEY_PATH',
  'WEBHOOK_SECRET',
  'DATABASE_URL',
  'REDIS_URL',
  'GITHUB_TOKEN',
  'GH_TOKEN',
  'GH_ENTERPRISE_TOKEN',
  'GITHUB_ENTERPRISE_TOKEN',
  'STATUS_PAGE_TOKEN',
  'TEST_DATABASE_URL',
  'TEST_REDIS_URL',
  'NODE_OPTIONS',
  'LD_PRELOAD',
  'LD_LIBRARY_PATH',
]);

/** Names that look like credentials or connection strings. */
const secretPattern =
  /SECRET|TOKEN|PASSW|PRIVATE|CREDENTIAL|KEY|AUTH|COOKIE|SESSION|DSN|DATABASE|REDIS|POSTGRES|PGPASS/i;

export function isSecretName(name: string): boolean {
  return forbiddenNames.has(name.toUpperCase()) || secretPattern.test(name);
}
