import { pino, type DestinationStream, type Logger } from 'pino';
import { secrets } from './secrets/registry.js';

export type { Logger };

/**
 * Structured logs with the context that explains them (epic, task, agent,
 * delivery). Known secret-bearing fields are redacted wherever they appear,
 * and so is every secret value the app holds (`src/secrets`), in any field.
 */
export function createLogger(
  level: string,
  name = 'factory',
  destination: DestinationStream = process.stdout,
): Logger {
  return pino(
    {
      name,
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
}

/**
 * Every line, as written, passes the secret registry: whatever a message,
 * an error's stack or a logged object holds, a secret value the app knows
 * does not reach the log.
 */
export function redactingDestination(destination: DestinationStream): DestinationStream {
  return { write: (line: string) => destination.write(secrets.redact(line)) };
}
