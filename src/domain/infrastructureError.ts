/**
 * Pure: whether an error means PostgreSQL or Redis could not be reached or
 * answered in time — the app's own infrastructure, not the work. Such an error
 * is retried with backoff and never counts as an attempt of a task. Drizzle,
 * Probot and BullMQ wrap the driver's error, so causes (and an
 * AggregateError's errors) are followed.
 */
export function isInfrastructureError(error: unknown): boolean {
  return infrastructureReason(error) !== undefined;
}

/** The first infrastructure cause found in the error's chain, as one line; undefined when there is none. */
export function infrastructureReason(error: unknown, depth = 0): string | undefined {
  if (depth > 8 || error === null || typeof error !== 'object') return undefined;
  const { name, code, message, cause, errors } = error as {
    name?: unknown;
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  const text = typeof message === 'string' ? message : '';
  if (
    (typeof name === 'string' && infrastructureNames.has(name)) ||
    (typeof code === 'string' && (networkCodes.has(code) || isPostgresUnavailable(code))) ||
    infrastructureMessages.some((pattern) => pattern.test(text))
  ) {
    return `${typeof name === 'string' ? name : 'Error'}${typeof code === 'string' ? ` ${code}` : ''}: ${text.split('\n')[0] ?? ''}`;
  }
  for (const inner of [cause, ...(Array.isArray(errors) ? errors : [])]) {
    const found = infrastructureReason(inner, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** Errors of Factory's own and of ioredis that only ever mean "Redis is not there". */
const infrastructureNames = new Set(['QueueUnavailableError', 'MaxRetriesPerRequestError']);

/** Socket-level failures of any client (pg, ioredis, fetch to either). */
const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
]);

/**
 * SQLSTATE codes of a server that is away, going away or full: class 08
 * (connection exception), 57P01–57P03 (shut down by an administrator, crash,
 * cannot connect now), 53300 (too many connections).
 */
function isPostgresUnavailable(code: string): boolean {
  return /^08[0-9A-Z]{3}$/.test(code) || /^57P0[1-3]$/.test(code) || code === '53300';
}

/** What the drivers say when the connection went away without a code. */
const infrastructureMessages: readonly RegExp[] = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
  /terminating connection due to administrator command/i,
  /Connection is closed\.?$/,
  /Stream isn't writeable/,
  /Reached the max retries per request limit/,
];
