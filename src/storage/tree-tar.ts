/**
 * A directory tree as a tar stream, walked through fds only: every entry is opened relative
 * to its parent's fd by its single name with O_NOFOLLOW, and bodies are read from a reopened
 * fd of the same inode. A container that renames directories or swaps one for a symlink while
 * the walk runs can change what is archived, never make it read outside the tree.
 */
import { closeSync, fstatSync, type Stats } from 'node:fs';
import { read as readCb } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import { isSystemError } from '../errors.js';
import { AT, O, RESOLVE, addon } from '../native/addon.js';
import { OVERLAY_OPAQUE_XATTR, WHITEOUT_OPAQUE_DIR, WHITEOUT_PREFIX } from '../image/whiteout.js';
import { END_OF_ARCHIVE, tarHeader, tarPadding, type TarHeaderFields } from './layer-tar.js';

const readFd = promisify(readCb);
const READ_CHUNK = 1 << 20;

export interface TreeTarOptions {
  /** The start node's name in the tar; '' puts the start directory's entries at the top (export, layers). */
  name: string;
  /** A container's upper dir made into a layer: overlayfs whiteouts and opaque dirs become AUFS entries. */
  layer?: boolean;
  /** Leaves out a path (relative to the start, '/'-joined) and everything below it. */
  skip?: (rel: string) => boolean;
  /** Writes a directory's own entry but not its contents (another filesystem mounted there, like /proc). */
  noDescend?: (rel: string) => boolean;
}

/** Opens one name (no '/') below a directory fd, never following it. */
export function openChild(dirFd: number, name: string, flags: number = O.PATH): number {
  return addon().openat2(dirFd, name, flags | O.NOFOLLOW, 0, RESOLVE.BENEATH | RESOLVE.NO_MAGICLINKS);
}

/** A readable fd of the inode an O_PATH fd names (reopened through /proc/self/fd: no path to swap). */
export function reopen(fd: number, flags: number): number {
  return addon().openat2(AT.FDCWD, `/proc/self/fd/${fd}`, flags | O.NOCTTY, 0, 0);
}

/** Names in a directory fd, in byte order of their UTF-8 forms (as Go's and GNU tar's walks). */
export async function listDir(dirFd: number): Promise<string[]> {
  const names = await readdir(`/proc/self/fd/${dirFd}`);
  return names
    .map((name) => ({ name, bytes: Buffer.from(name, 'utf8') }))
    .sort((a, b) => Buffer.compare(a.bytes, b.bytes))
    .map((n) => n.name);
}

export function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

export function isOpaqueDir(fd: number): boolean {
  return addon().fgetxattr(fd, OVERLAY_OPAQUE_XATTR)?.toString('latin1') === 'y';
}

function deviceNumbers(st: Stats): { devmajor: number; devminor: number } {
  const rdev = BigInt(st.rdev);
  return {
    devmajor: Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)),
    devminor: Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)),
  };
}

/** The body of a regular file: exactly size bytes, zero-filled if it shrank meanwhile (a running container may write). */
async function* body(fd: number, size: number): AsyncGenerator<Buffer> {
  const rfd = reopen(fd, O.RDONLY);
  try {
    let left = size;
    while (left > 0) {
      const chunk = Buffer.alloc(Math.min(left, READ_CHUNK));
      const { bytesRead: n } = await readFd(rfd, chunk, 0, chunk.length, null);
      if (n === 0) {
        yield chunk;
        left -= chunk.length;
        continue;
      }
      left -= n;
      yield n === chunk.length ? chunk : chunk.subarray(0, n);
    }
  } finally {
    closeSync(rfd);
  }
}

interface Frame {
  fd: number;
  rel: string;
  names: string[];
  next: number;
}

/** The tree at fd (an O_PATH fd of a directory or any other node) as an uncompressed tar. */
export async function* treeTar(startFd: number, opts: TreeTarOptions): AsyncGenerator<Buffer> {
  const tarName = (rel: string): string => (opts.name === '' ? rel : rel === '' ? opts.name : `${opts.name}/${rel}`);
  const firstName = new Map<string, string>();
  const stack: Frame[] = [];
  const held: number[] = [];
  try {
    const rootStat = fstatSync(startFd);
    let pending: { fd: number; rel: string; st: Stats } | undefined = { fd: startFd, rel: '', st: rootStat };
    for (;;) {
      if (pending) {
        const { fd, rel, st } = pending;
        pending = undefined;
        yield* entry(fd, rel, st);
        if (st.isDirectory() && !(rel !== '' && opts.noDescend?.(rel))) {
          stack.push({ fd, rel, names: await listDir(fd), next: 0 });
        } else if (fd !== startFd) {
          closeSync(fd);
          held.splice(held.indexOf(fd), 1);
        }
        continue;
      }
      const top = stack[stack.length - 1];
      if (!top) break;
      const name = top.names[top.next++];
      if (name === undefined) {
        stack.pop();
        if (top.fd !== startFd) {
          closeSync(top.fd);
          held.splice(held.indexOf(top.fd), 1);
        }
        continue;
      }
      const rel = top.rel === '' ? name : `${top.rel}/${name}`;
      if (opts.skip?.(rel)) continue;
      let fd: number;
      try {
        fd = openChild(top.fd, name);
      } catch (err) {
        // Removed since the directory was listed (a running container).
        if (isSystemError(err, 'ENOENT')) continue;
        throw err;
      }
      held.push(fd);
      pending = { fd, rel, st: fstatSync(fd) };
    }
    yield END_OF_ARCHIVE;
  } finally {
    for (const fd of held) closeSync(fd);
  }

  async function* entry(fd: number, rel: string, st: Stats): AsyncGenerator<Buffer> {
    const meta = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000), size: 0 };
    const name = tarName(rel);
    const header = (h: Omit<TarHeaderFields, 'mode' | 'uid' | 'gid' | 'mtime' | 'size'> & Partial<TarHeaderFields>): Buffer => tarHeader({ ...meta, ...h });
    if (st.isDirectory()) {
      // The root of a layer or an export is no entry of its own, as in docker's tars.
      if (name !== '') yield header({ name: `${name}/`, type: '5' });
      if (opts.layer && isOpaqueDir(fd)) {
        yield header({ name: name === '' ? WHITEOUT_OPAQUE_DIR : `${name}/${WHITEOUT_OPAQUE_DIR}`, type: '0', mtime: 0 });
      }
      return;
    }
    if (opts.layer && isWhiteout(st)) {
      const slash = name.lastIndexOf('/');
      const whiteout = `${name.slice(0, slash + 1)}${WHITEOUT_PREFIX}${name.slice(slash + 1)}`;
      yield header({ name: whiteout, type: '0', mode: 0o600, mtime: 0 });
      return;
    }
    if (st.isSocket()) return;
    if (st.nlink > 1 && !st.isSymbolicLink()) {
      // Inode numbers may use all 64 bits, more than a double holds exactly.
      const exact = fstatSync(fd, { bigint: true });
      const key = `${exact.dev}:${exact.ino}`;
      const first = firstName.get(key);
      if (first !== undefined) {
        yield header({ name, type: '1', linkname: first });
        return;
      }
      firstName.set(key, name);
    }
    if (st.isFile()) {
      yield header({ name, type: '0', size: st.size });
      yield* body(fd, st.size);
      const pad = tarPadding(st.size);
      if (pad.length > 0) yield pad;
    } else if (st.isSymbolicLink()) {
      yield header({ name, type: '2', linkname: addon().readlinkat(fd, '') });
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      yield header({ name, type: st.isCharacterDevice() ? '3' : '4', ...deviceNumbers(st) });
    } else if (st.isFIFO()) {
      yield header({ name, type: '6' });
    }
  }
}
