/**
 * berth's root logger. Components and containers log through child loggers;
 * secrets (passwords, tokens, env values) are redacted wherever they appear.
 */
import { pino, destination, type Logger } from 'pino';

export const REDACT_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'auth',
  '*.auth',
  'identitytoken',
  '*.identitytoken',
  'env',
  '*.env',
  '*.Env',
  'headers.authorization',
  '*.headers.authorization',
];

export function createLogger(opts: { level?: string } = {}): Logger {
  return pino(
    {
      name: 'berth',
      level: opts.level ?? process.env['BERTH_LOG_LEVEL'] ?? 'warn',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    destination(2),
  );
}
