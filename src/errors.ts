/**
 * One error hierarchy for the whole engine, with kinds like Docker's errdefs.
 * The API maps a kind to an HTTP status; the CLI prints the message on one line.
 */
export type ErrorKind =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'InvalidArgument'
  | 'PermissionDenied'
  | 'Unavailable'
  | 'Internal';

export class BerthError extends Error {
  readonly kind: ErrorKind;
  /** Exit status the CLI uses: 125 for berth's own errors, 126/127 when the command cannot run. */
  readonly exitCode: number;

  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = `${kind}Error`;
    this.kind = kind;
    this.exitCode = options?.exitCode ?? 125;
  }
}

export class NotFoundError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NotFound', message, options);
  }
}
export class AlreadyExistsError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('AlreadyExists', message, options);
  }
}
export class ConflictError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('Conflict', message, options);
  }
}
export class InvalidArgumentError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('InvalidArgument', message, options);
  }
}
export class PermissionDeniedError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PermissionDenied', message, options);
  }
}
export class UnavailableError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('Unavailable', message, options);
  }
}
export class InternalError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('Internal', message, options);
  }
}

/** The container's command could not be run: 126 (not executable) or 127 (not found), as docker. */
export class CommandNotRunnableError extends BerthError {
  constructor(message: string, exitCode: 126 | 127) {
    super('InvalidArgument', message, { exitCode });
  }
}

/** An error from a system call, as thrown by the native addon or Node's fs. */
export interface SystemError extends Error {
  code: string;
  errno?: number;
  syscall?: string;
  path?: string;
}

export function isSystemError(err: unknown, code?: string): err is SystemError {
  if (!(err instanceof Error)) return false;
  const c = (err as Partial<SystemError>).code;
  return typeof c === 'string' && (code === undefined || c === code);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
