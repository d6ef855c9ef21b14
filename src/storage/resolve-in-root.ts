/**
 * Resolving a path inside a root directory fd the way the root's own processes would: symlinks
 * (absolute ones from the root), `..` never above it. openat2(RESOLVE_IN_ROOT) does it in the
 * kernel; where the kernel answers EAGAIN for good (a symlink holding `..` on an fsmount'ed
 * overlay, or renames racing without end), the same walk is done here one component at a time:
 * each step opens a single name below an fd already held, with O_NOFOLLOW, symlinks are read
 * and expanded here, and `..` goes back to the fd held for the parent. No step resolves a path
 * a container could swap, so the walk may see an old or new tree, never leave the root.
 */
import { closeSync, fstatSync } from 'node:fs';
import { isSystemError } from '../errors.js';
import { NativeError, O, RESOLVE, addon } from '../native/addon.js';
import { openChild } from './tree-tar.js';

const MAX_SYMLINKS = 40;

export interface ResolveOptions {
  /** Follow a symlink in the last component too (inside the root). */
  follow?: boolean;
  /** The result must be a directory (ENOTDIR otherwise). */
  directory?: boolean;
}

function errnoError(code: string, errno: number, path: string): NativeError {
  const err = new NativeError(`${code}: resolving '${path}' inside the root`);
  err.code = code;
  err.errno = errno;
  err.syscall = 'openat2';
  err.path = path;
  return err;
}

/** An O_PATH fd of path resolved inside rootFd. */
export function openInRoot(rootFd: number, path: string, opts: ResolveOptions = {}): number {
  const flags = O.PATH | (opts.follow ? 0 : O.NOFOLLOW) | (opts.directory ? O.DIRECTORY : 0);
  try {
    return addon().openat2(rootFd, path === '' ? '.' : path, flags, 0, RESOLVE.IN_ROOT | RESOLVE.NO_MAGICLINKS);
  } catch (err) {
    if (!isSystemError(err, 'EAGAIN')) throw err;
  }
  return walkInRoot(rootFd, path, opts);
}

/** The component-by-component walk (see the file comment). */
export function walkInRoot(rootFd: number, path: string, opts: ResolveOptions = {}): number {
  const held: number[] = [];
  const top = (): number => held[held.length - 1] ?? rootFd;
  const remaining = path.split('/').filter((p) => p !== '' && p !== '.');
  let links = 0;
  try {
    while (remaining.length > 0) {
      const part = remaining.shift()!;
      if (part === '..') {
        const up = held.pop();
        if (up !== undefined) closeSync(up);
        continue;
      }
      const fd = openChild(top(), part);
      const st = fstatSync(fd);
      if (st.isSymbolicLink() && (remaining.length > 0 || opts.follow)) {
        const target = addon().readlinkat(fd, '');
        closeSync(fd);
        if (++links > MAX_SYMLINKS) throw errnoError('ELOOP', 40, path);
        if (target.startsWith('/')) while (held.length > 0) closeSync(held.pop()!);
        remaining.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
        continue;
      }
      held.push(fd);
      if (remaining.length > 0 && !st.isDirectory()) throw errnoError('ENOTDIR', 20, path);
    }
    const result = held.pop() ?? addon().openat2(rootFd, '.', O.PATH | O.DIRECTORY, 0, 0);
    if (opts.directory && !fstatSync(result).isDirectory()) {
      closeSync(result);
      throw errnoError('ENOTDIR', 20, path);
    }
    return result;
  } finally {
    for (const fd of held) closeSync(fd);
  }
}
