/** berth as a library: the Engine and the types and errors it speaks in. */
export { Engine, type EngineOptions, type RunHandle } from './engine.js';
export type { CreateOptions } from './container/options.js';
export type { ContainerRecord, ContainerStatus } from './container/record.js';
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
