/**
 * Extracts a tar stream into a directory of a tree given as an fd (a container's root, or a
 * host directory for `cp` out of a container). Every path is resolved from that root with
 * RESOLVE_IN_ROOT, so symlinks, `..` and absolute link targets in the tree and in the archive
 * all stay inside it; the last component is then created relative to its parent's fd without
 * following it. Nothing is ever written through a path a container could swap meanwhile.
 */
import { closeSync, fstatSync, write as writeCb, type Stats } from 'node:fs';
import { promisify } from 'node:util';
import { BerthError, InternalError, InvalidArgumentError, errorMessage, isSystemError } from '../errors.js';
import { AT, O, RESOLVE, addon } from '../native/addon.js';
import { ByteReader } from '../image/byte-reader.js';
import { layerPathComponents } from '../image/layer-path.js';
import { TarReader, type TarEntry } from '../image/tar-reader.js';
import { listDir, openChild } from './tree-tar.js';
import { openInRoot } from './resolve-in-root.js';



const writeFd = promisify(writeCb);

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;

export interface UntarOptions {
  /** Names the archive in errors. */
  label: string;
  /** Owner of everything extracted; default the archive's own uids and gids. */
  owner?: { uid: number; gid: number };
  /** Renames the archive's first path component `from` (`.` too) to `to` (docker's RebaseArchiveEntries). */
  rebase?: { from: string; to: string };
  /** Refuses to replace a directory with a non-directory or the other way round (docker's noOverwriteDirNonDir). */
  noOverwriteDirNonDir?: boolean;
}

function statChild(parentFd: number, name: string): Stats | undefined {
  let fd: number;
  try {
    fd = openChild(parentFd, name);
  } catch (err) {
    if (isSystemError(err, 'ENOENT')) return undefined;
    throw err;
  }
  try {
    return fstatSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Removes name below parentFd with everything below it, walking through fds (never a path). */
async function removeChild(parentFd: number, name: string, st: Stats): Promise<void> {
  if (st.isDirectory()) {
    const fd = openChild(parentFd, name, O.RDONLY | O.DIRECTORY);
    try {
      for (const child of await listDir(fd)) {
        const cst = statChild(fd, child);
        if (cst) await removeChild(fd, child, cst);
      }
    } finally {
      closeSync(fd);
    }
  }
  addon().unlinkat(parentFd, name, st.isDirectory() ? AT.REMOVEDIR : 0);
}

export async function untarInto(rootFd: number, destDir: string, source: AsyncIterable<Uint8Array>, opts: UntarOptions): Promise<void> {
  const input = new ByteReader(source[Symbol.asyncIterator]());
  const dirTimes: Array<{ path: string; atime: number; mtime: number }> = [];
  const prefix = destDir === '' || destDir === '.' ? '' : `${destDir.replace(/\/+$/, '')}/`;
  try {
    for await (const { entry, body } of new TarReader(input, opts.label).entries()) {
      try {
        await extractOne(entry, body);
      } catch (err) {
        if (err instanceof BerthError) throw err;
        throw new InternalError(`extracting ${JSON.stringify(entry.name)}: ${errorMessage(err)}`, { cause: err });
      }
    }
    // Set last: creating children changed them again.
    for (const d of dirTimes.reverse()) {
      const fd = openInRoot(rootFd, d.path, { directory: true });
      try {
        addon().utimensat(fd, '', d.atime, d.mtime, AT.EMPTY_PATH);
      } finally {
        closeSync(fd);
      }
    }
  } finally {
    await input.close();
  }

  function rebased(name: string): string[] | undefined {
    if (name.includes('\0')) return undefined;
    let raw = name.replace(/^\/+/, '');
    if (opts.rebase) {
      const first = raw.split('/')[0];
      if (first === opts.rebase.from) raw = `${opts.rebase.to}${raw.slice(first.length)}`;
    }
    return layerPathComponents(raw);
  }

  async function extractOne(entry: TarEntry, data: AsyncIterable<Buffer>): Promise<void> {
    const parts = rebased(entry.name);
    if (parts === undefined) throw new InvalidArgumentError(`${opts.label}: entry ${JSON.stringify(entry.name)} leads outside the destination`);
    // The destination directory itself keeps its own metadata.
    if (parts.length === 0) return;
    const base = parts[parts.length - 1]!;
    const parentPath = prefix + parts.slice(0, -1).join('/');
    let parentFd: number;
    try {
      parentFd = openInRoot(rootFd, parentPath, { follow: true, directory: true });
    } catch (err) {
      if (isSystemError(err, 'ENOENT') || isSystemError(err, 'ENOTDIR')) {
        throw new InvalidArgumentError(`${opts.label}: entry ${JSON.stringify(entry.name)}: its parent directory does not exist`);
      }
      throw err;
    }
    try {
      await create(entry, data, parentFd, base, `${parentPath === '' ? '' : `${parentPath}/`}${base}`);
    } finally {
      closeSync(parentFd);
    }
  }

  async function create(entry: TarEntry, data: AsyncIterable<Buffer>, parentFd: number, base: string, path: string): Promise<void> {
    const existing = statChild(parentFd, base);
    if (existing && opts.noOverwriteDirNonDir && existing.isDirectory() !== (entry.type === 'directory')) {
      const what = existing.isDirectory() ? ['directory', 'non-directory'] : ['non-directory', 'directory'];
      throw new InvalidArgumentError(`cannot overwrite ${what[0]} "/${path}" with ${what[1]} "${entry.name}"`);
    }
    const keepDir = existing?.isDirectory() === true && entry.type === 'directory';
    if (existing && !keepDir) await removeChild(parentFd, base, existing);
    const uid = opts.owner?.uid ?? entry.uid;
    const gid = opts.owner?.gid ?? entry.gid;
    switch (entry.type) {
      case 'directory':
        if (!keepDir) addon().mkdirat(parentFd, base, 0o700);
        break;
      case 'file': {
        const fd = addon().openat2(parentFd, base, O.WRONLY | O.CREAT | O.EXCL | O.NOFOLLOW, 0o600, RESOLVE.BENEATH | RESOLVE.NO_MAGICLINKS);
        try {
          for await (const chunk of data) {
            let done = 0;
            while (done < chunk.length) done += (await writeFd(fd, chunk, done, chunk.length - done)).bytesWritten;
          }
        } finally {
          closeSync(fd);
        }
        break;
      }
      case 'symlink':
        addon().symlinkat(entry.linkname, parentFd, base);
        break;
      case 'hardlink': {
        const target = rebased(entry.linkname);
        if (target === undefined || target.length === 0) throw new InvalidArgumentError(`${opts.label}: entry ${JSON.stringify(entry.name)} links outside the destination`);
        const tfd = openInRoot(rootFd, prefix + target.join('/'));
        try {
          if (fstatSync(tfd).isDirectory()) throw new InvalidArgumentError(`${opts.label}: entry ${JSON.stringify(entry.name)} links to a directory`);
          addon().linkat(tfd, '', parentFd, base, AT.EMPTY_PATH);
        } finally {
          closeSync(tfd);
        }
        // A hard link shares its target's metadata.
        return;
      }
      case 'char-device':
      case 'block-device':
      case 'fifo': {
        const kind = entry.type === 'fifo' ? S_IFIFO : entry.type === 'char-device' ? S_IFCHR : S_IFBLK;
        addon().mknodat(parentFd, base, kind | 0o600, entry.devmajor, entry.devminor);
        break;
      }
    }
    // Owner first: chown clears setuid bits that chmod then sets.
    addon().fchownat(parentFd, base, uid, gid, AT.SYMLINK_NOFOLLOW);
    if (entry.type !== 'symlink') {
      const fd = openChild(parentFd, base);
      try {
        addon().fchmodat(fd, entry.mode & 0o7777);
      } finally {
        closeSync(fd);
      }
    }
    const atime = Math.floor(entry.atime || entry.mtime);
    const mtime = Math.floor(entry.mtime);
    if (entry.type === 'directory') dirTimes.push({ path, atime, mtime });
    else addon().utimensat(parentFd, base, atime, mtime, AT.SYMLINK_NOFOLLOW);
  }
}
