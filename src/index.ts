/** berth as a library: the Engine and the types and errors it speaks in. */
export { Engine, type EngineOptions, type RunHandle } from './engine.js';
export type { CreateOptions } from './container/options.js';
export type { ContainerRecord, ContainerStatus } from './container/record.js';
export type { LogEntry } from './container/log-entry.js';
export type { LogStream, LogsOptions } from './container/logs.js';
export type { ContainerFilters } from './container/filters.js';
export type { ContainerInspect } from './container/inspect-view.js';
export {
  BerthError,
  NotFoundError,
  AlreadyExistsError,
  ConflictError,
  InvalidArgumentError,
  PermissionDeniedError,
  UnavailableError,
  InternalError,
  CommandNotRunnableError,
  type ErrorKind,
} from './errors.js';
export type { ExecHandle, ExecInspect, ExecOptions } from './container/exec.js';
