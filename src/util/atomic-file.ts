/**
 * Crash-safe state files: a reader sees either the old or the new content, never
 * a torn write, even across kill -9 or power loss (temp file + fsync + rename + fsync dir).
 *
 * State files are small, and writing one is a few system calls of local work. They are made
 * with synchronous calls: a trip through libuv's thread pool for each of them cost several
 * times more than the work itself, on the path of every container start.
 */
import { closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { readdir, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { z } from 'zod';
import { InternalError, isSystemError } from '../errors.js';
import { ownerTag, isOwnerTagAlive } from './owner-tag.js';

/** Temp names start with a dot so directory listings of records can skip them. */
const TEMP_MARK = '.tmp-';

export interface AtomicWriteOptions {
  /**
   * What survives a power loss. 'full' (the default): the new content. 'content': the old or
   * the new content, never a torn one (the file is fsynced, the rename not). 'none': nothing
   * is promised (no fsync); for state that is worthless after a reboot anyway. Against a
   * crash of any process, all three give the old or the new content.
   */
  durability?: 'full' | 'content' | 'none';
}

export async function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o644, opts: AtomicWriteOptions = {}): Promise<void> {
  writeFileAtomicSync(file, data, mode, opts);
}

export function writeFileAtomicSync(file: string, data: string | Uint8Array, mode = 0o644, opts: AtomicWriteOptions = {}): void {
  const dir = path.dirname(file);
  // State dirs hold records other users have no business reading.
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dir, `.${path.basename(file)}${TEMP_MARK}${ownerTag()}-${randomBytes(4).toString('hex')}`);
  try {
    const fd = openSync(tmp, 'wx', mode);
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
      // open() applies the umask; the caller's mode is what must hold.
      fchmodSync(fd, mode);
      if (opts.durability !== 'none') fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or already renamed
    }
    throw err;
  }
  if (opts.durability === undefined || opts.durability === 'full') fsyncDirSync(dir);
}

/** Makes a rename or unlink in dir durable. */
export async function fsyncDir(dir: string): Promise<void> {
  fsyncDirSync(dir);
}

function fsyncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Reads and validates a JSON state file; undefined when it does not exist. */
export async function readJsonFile<T>(file: string, schema: z.ZodType<T, z.ZodTypeDef, unknown>): Promise<T | undefined> {
  return readJsonFileSync(file, schema);
}

/** readJsonFile for callers that list many small records in one go. */
export function readJsonFileSync<T>(file: string, schema: z.ZodType<T, z.ZodTypeDef, unknown>): T | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (isSystemError(err, 'ENOENT')) return undefined;
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InternalError(`corrupt state file ${file}: not JSON`, { cause: err });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InternalError(`corrupt state file ${file}: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`);
  }
  return parsed.data;
}

/** Removes temp files that writers killed mid-write left in dir; live writers' files are kept. */
export async function removeStaleTempFiles(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (isSystemError(err, 'ENOENT')) return;
    throw err;
  }
  for (const name of names) {
    const at = name.indexOf(TEMP_MARK);
    if (!name.startsWith('.') || at < 0) continue;
    const tag = name.slice(at + TEMP_MARK.length).replace(/-[0-9a-f]+$/, '');
    if (!isOwnerTagAlive(tag)) await unlink(path.join(dir, name)).catch(() => undefined);
  }
}
