/**
 * berth's root logger. Components and containers log through child loggers;
 * secrets (passwords, tokens, env values) are redacted wherever they appear.
 *
 * pino itself is loaded on the first message that passes the level: a CLI command
 * that logs nothing (the usual case at the default level) does not pay for loading it.
 */
import { createRequire } from 'node:module';
import type * as Pino from 'pino';
import { InvalidArgumentError } from './errors.js';

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

export interface LogFn {
  (obj: object, msg?: string): void;
  (msg: string): void;
}

/** What berth needs of a logger; a pino Logger is one. */
export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity } as const;
type Level = keyof typeof LEVELS;
type Method = Exclude<Level, 'silent'>;

function isLevel(s: string): s is Level {
  return s in LEVELS;
}

function loadPino(level: Level, dest: string | number): Pino.Logger {
  const req = createRequire(import.meta.url);
  const pino = req('pino') as typeof Pino;
  return pino.pino(
    { name: 'berth', level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    pino.destination({ dest, sync: true }),
  );
}

class LazyLogger implements Logger {
  readonly trace: LogFn = this.method('trace');
  readonly debug: LogFn = this.method('debug');
  readonly info: LogFn = this.method('info');
  readonly warn: LogFn = this.method('warn');
  readonly error: LogFn = this.method('error');
  readonly fatal: LogFn = this.method('fatal');
  private real: Logger | undefined;

  constructor(
    private readonly level: Level,
    private readonly root: () => Logger,
    private readonly bindings: Record<string, unknown>,
  ) {}

  private method(m: Method): LogFn {
    return ((a: object | string, msg?: string) => {
      if (LEVELS[m] < LEVELS[this.level]) return;
      this.real ??= Object.keys(this.bindings).length > 0 ? this.root().child(this.bindings) : this.root();
      if (typeof a === 'string') this.real[m](a);
      else this.real[m](a, msg);
    }) as LogFn;
  }

  child(bindings: Record<string, unknown>): Logger {
    return new LazyLogger(this.level, this.root, { ...this.bindings, ...bindings });
  }
}

/** A logger writing JSON lines to stderr, or to `destination` (a path or an fd). */
export function createLogger(opts: { level?: string; destination?: string | number } = {}): Logger {
  const wanted = opts.level ?? process.env['BERTH_LOG_LEVEL'] ?? 'warn';
  if (!isLevel(wanted)) {
    throw new InvalidArgumentError(`invalid log level "${wanted}": use trace, debug, info, warn, error, fatal or silent`);
  }
  let root: Logger | undefined;
  return new LazyLogger(wanted, () => (root ??= loadPino(wanted, opts.destination ?? 2)), {});
}
