import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured logs with the context that explains them (epic, task, agent,
 * delivery). Known secret-bearing fields are redacted wherever they appear.
 */
export function createLogger(level: string, name = 'factory'): Logger {
  return pino({
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
  });
}
