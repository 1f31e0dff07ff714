import { pino, type DestinationStream, type Logger } from 'pino';
import { secrets } from './secrets/registry.js';

export type { Logger };

/**
 * Structured logs with the context that explains them (epic, task, agent,
 * delivery), one JSON object per line with each field once. Known
 * secret-bearing fields are redacted wherever they appear, and so is every
 * secret value the app holds (`src/secrets`), in any field.
 */
export function createLogger(
  level: string,
  name = 'factory',
  destination: DestinationStream = process.stdout,
): Logger {
  const root = pino(
    {
      level,
      redact: {
        paths: [
          '*.token',
          '*.privateKey',
          '*.webhookSecret',
          '*.authorization',
          '*.headers.authorization',
          'token',
          'privateKey',
        ],
        censor: '[redacted]',
      },
    },
    redactingDestination(destination),
  );
  return withFlatChildren(root, root.child({ name }));
}

/**
 * Every line, as written, passes the secret registry: whatever a message,
 * an error's stack or a logged object holds, a secret value the app knows
 * does not reach the log.
 */
export function redactingDestination(destination: DestinationStream): DestinationStream {
  return { write: (line: string) => destination.write(secrets.redact(line)) };
}

/**
 * pino appends a child's bindings to its parent's, so a child named `server`
 * of a logger named `factory` (and Probot's own children of it) printed
 * `"name"` once per level. Here every child is made from the root with the
 * bindings merged, so the innermost value of a field is the one printed.
 */
function withFlatChildren(root: Logger, logger: Logger): Logger {
  const child = (bindings: pino.Bindings, options?: pino.ChildLoggerOptions) =>
    withFlatChildren(
      root,
      root.child({ ...logger.bindings(), ...bindings }, { level: logger.level, ...options }),
    );
  logger.child = child as unknown as Logger['child'];
  return logger;
}
