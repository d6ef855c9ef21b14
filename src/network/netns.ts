/**
 * Network namespaces pinned as files (a bind mount of the namespace onto an empty file, as
 * `ip netns add` does): created and removed through the addon, opened as fds for setns or
 * IFLA_NET_NS_FD.
 */
import { openSync } from 'node:fs';
import { addon } from '../native/addon.js';
import { ConflictError, InternalError, NotFoundError, errorMessage, isSystemError } from '../errors.js';

/** Creates a new network namespace with lo up, pinned at path (a file that must not exist yet). */
export function createNetns(path: string): void {
  try {
    addon().netnsCreate(path);
  } catch (err) {
    if (isSystemError(err, 'EEXIST')) throw new ConflictError(`network namespace ${path} already exists`, { cause: err });
    if (isSystemError(err, 'ENOENT')) throw new NotFoundError(`cannot create network namespace ${path}: its directory does not exist`, { cause: err });
    throw new InternalError(`cannot create network namespace ${path}: ${errorMessage(err)}`, { cause: err });
  }
}

/** Unpins and deletes the namespace file; the namespace ends with its last process and fd. A path already gone is fine. */
export function removeNetns(path: string): void {
  try {
    addon().netnsRemove(path);
  } catch (err) {
    throw new InternalError(`cannot remove network namespace ${path}: ${errorMessage(err)}`, { cause: err });
  }
}

/** An fd of the namespace (O_CLOEXEC, as Node opens every file); the caller closes it. */
export function openNetns(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (err) {
    if (isSystemError(err, 'ENOENT')) throw new NotFoundError(`no such network namespace: ${path}`, { cause: err });
    throw new InternalError(`cannot open network namespace ${path}: ${errorMessage(err)}`, { cause: err });
  }
}
