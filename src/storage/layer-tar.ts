/**
 * A stored layer back as a tar (what `save` and `push` send): a deterministic,
 * uncompressed tar of the layer's diff dir, with overlayfs's whiteouts turned back
 * into the AUFS names layer tars carry. The same diff dir gives the same bytes on
 * every host: entries come in name order, owners are numbers only (no names looked
 * up in the host's /etc/passwd), times are whole seconds, and nothing that the unpack
 * itself made up (the layer root's times, a whiteout's times) is written.
 */
import { createHash } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { InternalError, isSystemError } from '../errors.js';
import { addon } from '../native/addon.js';
import { BLOCK } from '../image/tar-header.js';
import { OVERLAY_OPAQUE_XATTR, OVERLAY_XATTR_PREFIX, WHITEOUT_OPAQUE_DIR, WHITEOUT_PREFIX } from '../image/whiteout.js';

/** Tar typeflags this writer emits. */
export type TarTypeflag = '0' | '1' | '2' | '3' | '4' | '5' | '6';

export interface TarHeaderFields {
  name: string;
  type: TarTypeflag;
  mode: number;
  uid: number;
  gid: number;
  /** Body size in bytes (regular files only). */
  size: number;
  /** Whole seconds since the epoch. */
  mtime: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Extended attributes, written as PAX SCHILY.xattr records in this order. */
  xattrs?: ReadonlyArray<readonly [string, Buffer]>;
}

/** The two zero blocks that end an archive. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);

/** Zero bytes that fill a body of size bytes up to a whole block. */
export function tarPadding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

const OCTAL_MAX = { 8: 0o7777777, 12: 0o77777777777 } as const;

function fitsOctal(value: number, width: 8 | 12): boolean {
  return Number.isInteger(value) && value >= 0 && value <= OCTAL_MAX[width];
}

/**
 * A numeric field: octal when it fits, else GNU base-256 (Go's and berth's readers take both).
 * Only device numbers get there: other values too large for octal go into PAX records.
 */
function writeNumber(block: Buffer, offset: number, width: 8 | 12, value: number): void {
  if (fitsOctal(value, width)) {
    block.write(`${value.toString(8).padStart(width - 1, '0')}\0`, offset, 'latin1');
    return;
  }
  let rest = BigInt(value);
  for (let i = width - 1; i > 0; i--) {
    block[offset + i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  block[offset] = 0x80;
}

/** A name that a ustar field holds as is: ASCII (POSIX's portable set) and short enough. */
function fitsField(text: string, length: number): boolean {
  return text.length <= length && /^[\x20-\x7e]*$/.test(text);
}

function paxRecord(key: string, value: Buffer): Buffer {
  const rest = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), value, Buffer.from('\n')]);
  // The length prefix counts its own digits.
  let length = rest.length + 1;
  while (String(length).length + rest.length !== length) length++;
  return Buffer.concat([Buffer.from(String(length)), rest]);
}

/** One ustar header block; typeflag may be any tar type ('x' for a PAX header). */
function ustarBlock(h: Omit<TarHeaderFields, 'type' | 'name' | 'linkname'>, typeflag: string, name: Buffer, linkname: Buffer): Buffer {
  const block = Buffer.alloc(BLOCK);
  name.copy(block, 0, 0, Math.min(name.length, 100));
  writeNumber(block, 100, 8, h.mode);
  writeNumber(block, 108, 8, fitsOctal(h.uid, 8) ? h.uid : 0);
  writeNumber(block, 116, 8, fitsOctal(h.gid, 8) ? h.gid : 0);
  writeNumber(block, 124, 12, fitsOctal(h.size, 12) ? h.size : 0);
  writeNumber(block, 136, 12, fitsOctal(h.mtime, 12) ? h.mtime : 0);
  block.write(typeflag, 156, 'latin1');
  linkname.copy(block, 157, 0, Math.min(linkname.length, 100));
  block.write('ustar\x0000', 257, 'latin1');
  writeNumber(block, 329, 8, h.devmajor ?? 0);
  writeNumber(block, 337, 8, h.devminor ?? 0);
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

const PAX_NAME = Buffer.from('PaxHeader');
const NO_NAME = Buffer.alloc(0);

/**
 * The header of one entry: a ustar block, preceded by a PAX extended header when a
 * value does not fit ustar (long or non-ASCII names, large ids, sizes or times, xattrs).
 */
export function tarHeader(h: TarHeaderFields): Buffer {
  const linkname = h.linkname ?? '';
  const name = Buffer.from(h.name, 'utf8');
  const records: Buffer[] = [];
  const nameFits = fitsField(h.name, 100);
  const linkFits = fitsField(linkname, 100);
  if (!nameFits) records.push(paxRecord('path', name));
  if (!linkFits) records.push(paxRecord('linkpath', Buffer.from(linkname, 'utf8')));
  if (!fitsOctal(h.uid, 8)) records.push(paxRecord('uid', Buffer.from(String(h.uid))));
  if (!fitsOctal(h.gid, 8)) records.push(paxRecord('gid', Buffer.from(String(h.gid))));
  if (!fitsOctal(h.size, 12)) records.push(paxRecord('size', Buffer.from(String(h.size))));
  if (!fitsOctal(h.mtime, 12)) records.push(paxRecord('mtime', Buffer.from(String(h.mtime))));
  for (const [key, value] of h.xattrs ?? []) records.push(paxRecord(`SCHILY.xattr.${key}`, value));
  // Where a PAX record holds the name, the ustar field keeps a truncated copy for readers without PAX.
  const block = ustarBlock(h, h.type, name, linkFits ? Buffer.from(linkname, 'latin1') : NO_NAME);
  if (records.length === 0) return block;
  const data = Buffer.concat(records);
  const pax = ustarBlock({ mode: 0o644, uid: 0, gid: 0, size: data.length, mtime: 0 }, 'x', PAX_NAME, NO_NAME);
  return Buffer.concat([pax, data, tarPadding(data.length), block]);
}

/** One entry of a layer tar: its header, and for a regular file the file its body comes from. */
interface Planned {
  header: Buffer;
  body?: { file: string; size: number; name: string };
}

/** In byte order of their UTF-8 forms, as Go's and GNU tar's sorted walks produce (not UTF-16 order). */
function sortedByBytes(names: readonly string[]): string[] {
  return names
    .map((name) => ({ name, bytes: Buffer.from(name, 'utf8') }))
    .sort((a, b) => Buffer.compare(a.bytes, b.bytes))
    .map((n) => n.name);
}

/**
 * Attributes that belong to the layer. overlayfs's own (opaque, redirect, origin) are
 * berth's bookkeeping, written back as whiteout entries where they mean one; an SELinux
 * label is the host policy's, given to every file it creates, not the image's.
 */
function layerXattrs(file: string): Array<[string, Buffer]> {
  let names: string[];
  try {
    names = addon().llistxattr(file);
  } catch (err) {
    if (isSystemError(err, 'ENOTSUP') || isSystemError(err, 'EOPNOTSUPP')) return [];
    throw err;
  }
  const out: Array<[string, Buffer]> = [];
  for (const name of sortedByBytes(names)) {
    if (name.startsWith(OVERLAY_XATTR_PREFIX) || name === 'security.selinux') continue;
    const value = addon().lgetxattr(file, name);
    if (value !== undefined) out.push([name, value]);
  }
  return out;
}

function isOpaque(dir: string): boolean {
  return addon().lgetxattr(dir, OVERLAY_OPAQUE_XATTR)?.toString('latin1') === 'y';
}

/** Linux's dev_t encoding (glibc's major()/minor()). */
function deviceNumbers(st: Stats): { devmajor: number; devminor: number } {
  const rdev = BigInt(st.rdev);
  return {
    devmajor: Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)),
    devminor: Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)),
  };
}

/**
 * The opaque marker goes right after its directory, as docker writes it: an applier that
 * empties the directory when it meets the marker then never removes this layer's own entries.
 */
function opaqueMarker(dirName: string, st: Stats): Planned {
  const name = dirName === '' ? WHITEOUT_OPAQUE_DIR : `${dirName}/${WHITEOUT_OPAQUE_DIR}`;
  return { header: tarHeader({ name, type: '0', mode: st.mode & 0o777, uid: st.uid, gid: st.gid, size: 0, mtime: 0 }) };
}

/** A directory being walked: its entries in order, looked at together. */
interface OpenDir {
  dir: string;
  rel: string;
  bases: string[];
  stats: Stats[];
  next: number;
}

async function openDir(dir: string, rel: string): Promise<OpenDir> {
  const bases = sortedByBytes(await readdir(dir));
  // All at once: one lstat at a time, the walk would mostly wait on the thread pool.
  const stats = await Promise.all(bases.map((base) => lstat(path.join(dir, base))));
  return { dir, rel, bases, stats, next: 0 };
}

/**
 * The entries of the tar, in order; walked twice by save (size, then bytes) and giving the
 * same entries both times. Depth first with an explicit stack: nested generators would pass
 * every entry up through each level of the tree.
 */
async function* plan(diffDir: string): AsyncGenerator<Planned> {
  const rootStat = await lstat(diffDir);
  if (!rootStat.isDirectory()) throw new InternalError(`layer dir ${diffDir} is not a directory`);
  // The layer root itself is not an entry (as in docker's layer tars): its times are those of the unpack.
  if (isOpaque(diffDir)) yield opaqueMarker('', rootStat);
  // Hard links: the first name of an inode (in walk order) carries the body, later names link to it.
  const firstName = new Map<string, string>();
  const stack = [await openDir(diffDir, '')];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const i = top.next++;
    const base = top.bases[i];
    const st = top.stats[i];
    if (base === undefined || st === undefined) {
      stack.pop();
      continue;
    }
    const file = path.join(top.dir, base);
    const name = top.rel === '' ? base : `${top.rel}/${base}`;
    const meta = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) };

    if (st.isDirectory()) {
      yield { header: tarHeader({ ...meta, name: `${name}/`, type: '5', size: 0, xattrs: layerXattrs(file) }) };
      if (isOpaque(file)) yield opaqueMarker(name, st);
      stack.push(await openDir(file, name));
      continue;
    }
    if (st.isCharacterDevice() && st.rdev === 0) {
      // overlayfs's whiteout. Its own times and mode are the unpack's (or shared by every whiteout
      // of an upper dir, as newer kernels link them to one inode), so the entry has fixed ones.
      const whiteout = `${top.rel === '' ? '' : `${top.rel}/`}${WHITEOUT_PREFIX}${base}`;
      yield { header: tarHeader({ name: whiteout, type: '0', mode: 0o600, uid: meta.uid, gid: meta.gid, size: 0, mtime: 0 }) };
      continue;
    }
    // Sockets cannot be archived (docker leaves them out too).
    if (st.isSocket()) continue;

    if (st.nlink > 1 && !st.isSymbolicLink()) {
      // Inode numbers may use all 64 bits, more than a double holds exactly.
      const exact = await lstat(file, { bigint: true });
      const key = `${exact.dev}:${exact.ino}`;
      const first = firstName.get(key);
      if (first !== undefined) {
        yield { header: tarHeader({ ...meta, name, type: '1', size: 0, linkname: first }) };
        continue;
      }
      firstName.set(key, name);
    }
    const xattrs = layerXattrs(file);
    if (st.isFile()) {
      yield { header: tarHeader({ ...meta, name, type: '0', size: st.size, xattrs }), body: { file, size: st.size, name } };
    } else if (st.isSymbolicLink()) {
      yield { header: tarHeader({ ...meta, name, type: '2', size: 0, linkname: await readlink(file), xattrs }) };
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      yield { header: tarHeader({ ...meta, name, type: st.isCharacterDevice() ? '3' : '4', size: 0, ...deviceNumbers(st), xattrs }) };
    } else if (st.isFIFO()) {
      yield { header: tarHeader({ ...meta, name, type: '6', size: 0, xattrs }) };
    }
  }
}

const READ_CHUNK = 1 << 20;

async function* fileBody(body: { file: string; size: number; name: string }): AsyncGenerator<Buffer> {
  if (body.size === 0) return;
  const fh = await open(body.file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    let left = body.size;
    while (left > 0) {
      // A fresh buffer each time: the consumer may still hold the previous one.
      const chunk = Buffer.allocUnsafe(Math.min(left, READ_CHUNK));
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) throw new InternalError(`layer file ${JSON.stringify(body.name)} shrank while it was being read (stored layers must not change)`);
      left -= bytesRead;
      yield bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

/** The layer at diffDir (a LayerStore diff dir) as an uncompressed tar, streamed. */
export async function* layerTar(diffDir: string): AsyncGenerator<Buffer> {
  for await (const entry of plan(diffDir)) {
    yield entry.header;
    if (entry.body === undefined) continue;
    yield* fileBody(entry.body);
    const pad = tarPadding(entry.body.size);
    if (pad.length > 0) yield pad;
  }
  yield END_OF_ARCHIVE;
}

/** The length layerTar(diffDir) will have, from the files' metadata alone (no content is read). */
export async function layerTarSize(diffDir: string): Promise<number> {
  let size = END_OF_ARCHIVE.length;
  for await (const entry of plan(diffDir)) {
    size += entry.header.length;
    if (entry.body !== undefined) size += entry.body.size + tarPadding(entry.body.size).length;
  }
  return size;
}

/** `sha256:<hex>` of layerTar(diffDir): the diff_id the layer has when saved. */
export async function layerDiffId(diffDir: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of layerTar(diffDir)) hash.update(chunk);
  return `sha256:${hash.digest('hex')}`;
}
