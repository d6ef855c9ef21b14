/**
 * An exclusive lock on a lock file, so that CLI processes, the daemon and embedding
 * services change shared state one at a time. flock(2) locks die with their process,
 * so a killed holder never leaves a stale lock behind.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { closeSync, constants, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { addon, LOCK } from '../native/addon.js';
import { isSystemError } from '../errors.js';

/** Lock files this async context holds, so a nested withLock on the same file runs instead of deadlocking. */
const held = new AsyncLocalStorage<ReadonlySet<string>>();

/**
 * Waiters inside this process queue here rather than in flock: each blocked flock
 * occupies a libuv pool thread, and a few of them would starve the holder's own I/O.
 */
const queues = new Map<string, Promise<void>>();

export async function withLock<T>(lockFile: string, fn: () => Promise<T>): Promise<T> {
  const key = path.resolve(lockFile);
  const outer = held.getStore();
  if (outer?.has(key)) return fn();

  const previous = queues.get(key) ?? Promise.resolve();
  let release = (): void => undefined;
  const done = new Promise<void>((resolve) => {
    release = resolve;
  });
  const tail = previous.then(() => done);
  queues.set(key, tail);
  await previous;
  try {
    return await holdFileLock(key, () => held.run(new Set([...(outer ?? []), key]), fn));
  } finally {
    release();
    if (queues.get(key) === tail) queues.delete(key);
  }
}

function openLockFile(file: string): number {
  const open = (): number => openSync(file, constants.O_RDWR | constants.O_CREAT, 0o600);
  try {
    return open();
  } catch (err) {
    if (!isSystemError(err, 'ENOENT')) throw err;
    // The state dir is made on first use.
    mkdirSync(path.dirname(file), { recursive: true });
    return open();
  }
}

/**
 * An uncontended lock is taken on this thread (open and a non-blocking flock, microseconds);
 * only a lock another process holds is waited for on the thread pool.
 */
async function holdFileLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const fd = openLockFile(file);
  try {
    if (!addon().tryFlock(fd, LOCK.EX)) await addon().flock(fd, LOCK.EX);
    return await fn();
  } finally {
    // Closing the only fd of this open file description releases the flock.
    closeSync(fd);
  }
}
