/**
 * Writes tar entries into a layer directory. The layer is untrusted input, so every
 * write is confined to the root: names that climb out are refused, no entry is ever
 * written through a symlink (parents are checked to be real directories, files are
 * created O_EXCL|O_NOFOLLOW after whatever was at the path is removed), and hard
 * links may only point at entries already inside. Any violation rejects the whole
 * layer with an error naming the entry.
 *
 * Calls that change an existing inode's metadata (chown, chmod, utimes, close, lstat) are made
 * synchronously: each takes microseconds, while a trip through the libuv pool costs more than
 * the call itself, and a layer of thousands of small files made five such trips a file. What
 * creates a name (open, mkdir, symlink, link) can take a journal's time, so it goes through the
 * pool, where several run at once, as do file contents, which can wait on writeback.
 */
import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  lstatSync,
  lutimesSync,
  open,
  writev,
  type Stats,
} from 'node:fs';
import { link, mkdir, rm, symlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import path from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import { addon } from '../native/addon.js';
import { layerPathComponents } from './layer-path.js';
import type { TarEntry } from './tar-reader.js';
import {
  AUFS_HARDLINK_DIR,
  OVERLAY_OPAQUE_XATTR,
  OVERLAY_XATTR_PREFIX,
  WHITEOUT_META_PREFIX,
  WHITEOUT_OPAQUE_DIR,
  WHITEOUT_PREFIX,
} from './whiteout.js';

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;

const WRITE_BATCH = 1 << 20;

interface Times {
  atime: number;
  mtime: number;
}

// A plain fd, not a FileHandle: the calls on it are synchronous, and a FileHandle closes its fd
// again when collected.
const openAsync = promisify(open);
const writevAsync = promisify(writev);

function lstatOrUndefined(file: string): Stats | undefined {
  return lstatSync(file, { throwIfNoEntry: false });
}

export class LayerWriter {
  /** Relative paths known to be real directories (made or checked by this writer, the only one writing here). */
  private readonly dirs = new Set<string>(['']);
  /**
   * Every path this writer made. The layer dir starts empty and nobody else writes
   * to it, so a path not in here does not exist and needs no lstat (a wrong guess
   * would only make O_EXCL or mkdir fail, never write through anything).
   */
  private readonly made = new Set<string>();
  /** Directory times are set last: creating children would change them again. */
  private readonly dirTimes = new Map<string, Times>();
  /** Bytes of regular file content written. */
  size = 0;

  constructor(private readonly root: string) {}

  private abs(parts: readonly string[]): string {
    return path.join(this.root, ...parts);
  }

  async write(entry: TarEntry, body: AsyncIterable<Buffer>): Promise<void> {
    // PAX records can carry NUL bytes, which no Linux path can hold.
    if (entry.name.includes('\0') || entry.linkname.includes('\0')) throw refuse(entry, 'its name or link target contains a NUL byte');
    const parts = layerPathComponents(entry.name);
    if (parts === undefined) throw refuse(entry, 'its path leads outside the layer');
    const top = parts[0];
    if (parts.length > 1 && top !== undefined && top.startsWith(WHITEOUT_META_PREFIX)) {
      // AUFS metadata dirs are dropped, except that files in the hard link store are kept until
      // the end so that hard links into it resolve (finish removes the store).
      if (top !== AUFS_HARDLINK_DIR || entry.type !== 'file') return;
    }
    const base = parts[parts.length - 1];
    if (base !== undefined && base.startsWith(WHITEOUT_PREFIX)) {
      await this.writeWhiteout(entry, parts, base);
      return;
    }
    if (parts.length === 0) {
      if (entry.type !== 'directory') throw refuse(entry, 'only a directory can stand for the layer root');
      await this.applyMetadata(entry, this.root, '');
      return;
    }
    await this.ensureParents(entry, parts);
    const rel = parts.join('/');
    const target = this.abs(parts);
    // Check the link target before anything at this path is removed, so a refused link changes nothing.
    const linkTarget = entry.type === 'hardlink' ? await this.hardlinkTarget(entry, rel) : undefined;

    const existing = this.made.has(rel) ? lstatOrUndefined(target) : undefined;
    const keepDir = existing?.isDirectory() === true && entry.type === 'directory';
    if (existing && !keepDir) await this.remove(rel);
    this.made.add(rel);

    switch (entry.type) {
      case 'directory':
        if (!keepDir) await mkdir(target, { mode: 0o700 });
        this.dirs.add(rel);
        break;
      case 'file':
        await this.writeFile(entry, target, body);
        return;
      case 'symlink':
        await symlink(entry.linkname, target);
        break;
      case 'hardlink':
        // The link shares its target's inode, whose metadata the target's own entry already set.
        await link(linkTarget!, target);
        return;
      case 'char-device':
        addon().mknod(target, S_IFCHR, entry.devmajor, entry.devminor);
        break;
      case 'block-device':
        addon().mknod(target, S_IFBLK, entry.devmajor, entry.devminor);
        break;
      case 'fifo':
        addon().mknod(target, S_IFIFO, 0, 0);
        break;
    }
    await this.applyMetadata(entry, target, rel);
  }

  /** Sets the directory times held back until every entry was written, and drops AUFS's hard link store. */
  async finish(): Promise<void> {
    await this.remove(AUFS_HARDLINK_DIR);
    for (const [rel, t] of this.dirTimes) lutimesSync(this.abs(rel === '' ? [] : rel.split('/')), t.atime, t.mtime);
  }

  /** Makes sure every parent of parts is a real directory inside the root, creating missing ones as docker does (0755). */
  private async ensureParents(entry: TarEntry, parts: readonly string[]): Promise<void> {
    for (let i = 1; i < parts.length; i++) {
      const rel = parts.slice(0, i).join('/');
      if (this.dirs.has(rel)) continue;
      const dir = this.abs(parts.slice(0, i));
      const st = this.made.has(rel) ? lstatOrUndefined(dir) : undefined;
      if (!st) {
        await mkdir(dir, { mode: 0o755 });
        // mkdir's mode is filtered by the umask; the layer's content must not depend on it.
        chmodSync(dir, 0o755);
        this.made.add(rel);
      } else if (st.isSymbolicLink()) {
        throw refuse(entry, `its parent ${JSON.stringify(rel)} is a symlink`);
      } else if (!st.isDirectory()) {
        throw refuse(entry, `its parent ${JSON.stringify(rel)} is not a directory`);
      }
      this.dirs.add(rel);
    }
  }

  /** The absolute path a hard link entry may link to: an existing non-symlink, non-directory entry inside the layer. */
  private async hardlinkTarget(entry: TarEntry, rel: string): Promise<string> {
    const parts = layerPathComponents(entry.linkname);
    if (parts === undefined) throw refuse(entry, `its link target ${JSON.stringify(entry.linkname)} leads outside the layer`);
    if (parts.length === 0 || parts.join('/') === rel) throw refuse(entry, `it links to ${JSON.stringify(entry.linkname)}`);
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      if (this.dirs.has(parent)) continue;
      const st = lstatOrUndefined(this.abs(parts.slice(0, i)));
      if (!st?.isDirectory()) throw refuse(entry, `its link target ${JSON.stringify(entry.linkname)} is not an entry of the layer`);
    }
    const target = this.abs(parts);
    const st = lstatOrUndefined(target);
    if (!st) throw refuse(entry, `its link target ${JSON.stringify(entry.linkname)} is not an entry of the layer`);
    if (st.isSymbolicLink()) throw refuse(entry, `its link target ${JSON.stringify(entry.linkname)} is a symlink`);
    if (st.isDirectory()) throw refuse(entry, `its link target ${JSON.stringify(entry.linkname)} is a directory`);
    return target;
  }

  private async writeFile(entry: TarEntry, target: string, body: AsyncIterable<Buffer>): Promise<void> {
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
    const fd = await openAsync(target, flags, 0o600);
    try {
      // Each write is a trip through the libuv pool; gathering pieces into large writes saves most of them.
      let batch: Buffer[] = [];
      let batched = 0;
      const flush = async (): Promise<void> => {
        await writevAll(fd, batch, batched);
        this.size += batched;
        batch = [];
        batched = 0;
      };
      for await (const chunk of body) {
        batch.push(chunk);
        batched += chunk.length;
        if (batched >= WRITE_BATCH) await flush();
      }
      if (batched > 0) await flush();
      // Through the fd: the checks above guarantee the path, the fd guarantees the inode.
      fchownSync(fd, entry.uid, entry.gid);
      fchmodSync(fd, entry.mode & 0o7777);
      this.setXattrs(entry, target);
      futimesSync(fd, entry.atime, entry.mtime);
    } finally {
      closeSync(fd);
    }
  }

  /** Owner, then mode (chown clears setuid bits), then xattrs (chown clears file capabilities), then times. */
  private async applyMetadata(entry: TarEntry, target: string, rel: string): Promise<void> {
    lchownSync(target, entry.uid, entry.gid);
    // Linux has no lchmod; a symlink's own mode is meaningless anyway.
    if (entry.type !== 'symlink') chmodSync(target, entry.mode & 0o7777);
    this.setXattrs(entry, target);
    if (entry.type === 'directory') this.dirTimes.set(rel, { atime: entry.atime, mtime: entry.mtime });
    else lutimesSync(target, entry.atime, entry.mtime);
  }

  private setXattrs(entry: TarEntry, target: string): void {
    for (const [name, value] of entry.xattrs) {
      // The name goes to the kernel as a C string: a NUL would set a different attribute than checked here.
      if (name.includes('\0') || name === '') throw refuse(entry, `it has an invalid xattr name ${JSON.stringify(name)}`);
      // A layer must not steer overlayfs (redirects, origins, metacopy); opaque dirs come only from whiteout entries.
      if (name.startsWith(OVERLAY_XATTR_PREFIX)) continue;
      addon().lsetxattr(target, name, value);
    }
  }

  /** AUFS whiteouts in the tar become overlayfs whiteouts on disk. */
  private async writeWhiteout(entry: TarEntry, parts: readonly string[], base: string): Promise<void> {
    const dirParts = parts.slice(0, -1);
    if (base === WHITEOUT_OPAQUE_DIR) {
      await this.ensureParents(entry, parts);
      addon().lsetxattr(this.abs(dirParts), OVERLAY_OPAQUE_XATTR, Buffer.from('y'));
      return;
    }
    if (base.startsWith(WHITEOUT_META_PREFIX)) return;
    const name = base.slice(WHITEOUT_PREFIX.length);
    if (name === '' || name === '.' || name === '..') throw refuse(entry, 'it is a whiteout without a name');
    const hidden = [...dirParts, name];
    await this.ensureParents(entry, hidden);
    const rel = hidden.join('/');
    const target = this.abs(hidden);
    if (lstatOrUndefined(target)) await this.remove(rel);
    addon().mknod(target, S_IFCHR, 0, 0);
    this.made.add(rel);
    lchownSync(target, entry.uid, entry.gid);
  }

  /** Removes what an earlier entry put at rel and forgets what this writer knew below it. */
  private async remove(rel: string): Promise<void> {
    await rm(path.join(this.root, rel), { recursive: true, force: true });
    const below = `${rel}/`;
    for (const dir of this.dirs) if (dir === rel || dir.startsWith(below)) this.dirs.delete(dir);
    for (const made of this.made) if (made === rel || made.startsWith(below)) this.made.delete(made);
    for (const dir of this.dirTimes.keys()) if (dir === rel || dir.startsWith(below)) this.dirTimes.delete(dir);
  }
}

/** Writes all of buffers (total bytes): a short writev goes on with what it left. */
async function writevAll(fd: number, buffers: Buffer[], total: number): Promise<void> {
  let done = (await writevAsync(fd, buffers)).bytesWritten;
  if (done === total) return;
  const rest = Buffer.concat(buffers).subarray(done);
  done = 0;
  while (done < rest.length) done += (await writevAsync(fd, [rest.subarray(done)])).bytesWritten;
}

function refuse(entry: TarEntry, why: string): InvalidArgumentError {
  return new InvalidArgumentError(`layer rejected: entry ${JSON.stringify(entry.name)}: ${why}`);
}
