/**
 * Reads a container's json-file log across its rotated files, oldest first: the whole of it or
 * its last lines, filtered by time, and (following) what the shim writes next until the
 * container exits. Files are read in large chunks and handed on as arrays of entries.
 */
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { parseJsonLogLines } from './json-log-parser.js';
import { jsonLogFiles, jsonLogPath } from './log-files.js';
import type { LogEntry } from './log-entry.js';

const CHUNK = 1 << 20;
const TAIL_CHUNK = 64 << 10;
const NEWLINE = 0x0a;
/** How often a follower asks whether the container still runs when no file event came (a supervisor killed outright writes no exit record). */
const RECHECK_MS = 1000;

export interface LogFollow {
  /** The shim writes this when the container has exited, after the last of its output. */
  exitFile: string;
  /** false once the container is not running (asked when files stay quiet). */
  running(): Promise<boolean>;
  signal?: AbortSignal;
}

export interface LogReadOptions {
  /** The last N entries only; undefined or negative: all. */
  tail?: number;
  /** Entries at or after this time (the entries' fixed RFC 3339 form). */
  since?: string;
  /** Entries at or before this time. */
  until?: string;
  follow?: LogFollow;
}

interface OpenLog {
  handle: FileHandle;
  ino: number;
  size: number;
}

/** An open log file read forward from pos; rest holds the start of a line not yet complete. */
class Cursor {
  private rest: Buffer = Buffer.alloc(0);
  constructor(
    readonly file: OpenLog,
    private pos: number,
  ) {}

  /** The entries of the next chunk; undefined at the end of the file (for now). */
  async next(): Promise<LogEntry[] | undefined> {
    const carried = this.rest.length;
    const buf = Buffer.allocUnsafe(carried + CHUNK);
    this.rest.copy(buf, 0);
    const { bytesRead } = await this.file.handle.read(buf, carried, CHUNK, this.pos);
    if (bytesRead === 0) return undefined;
    this.pos += bytesRead;
    const end = carried + bytesRead;
    const entries: LogEntry[] = [];
    const used = parseJsonLogLines(buf, 0, end, entries);
    this.rest = Buffer.from(buf.subarray(used, end));
    return entries;
  }
}

/** Opens the log files there are now, oldest first; a file rotated away meanwhile is skipped, one seen twice (renamed between listing and opening) kept once. */
async function openLogs(dir: string, id: string): Promise<OpenLog[]> {
  const out: OpenLog[] = [];
  for (const file of jsonLogFiles(dir, id)) {
    const handle = await open(file, 'r').catch(() => undefined);
    if (!handle) continue;
    const st = await handle.stat();
    if (out.some((o) => o.ino === st.ino)) {
      await handle.close();
      continue;
    }
    out.push({ handle, ino: st.ino, size: st.size });
  }
  return out;
}

/** Where the last n lines begin: the file and the offset just past the newline before them. */
async function tailStart(files: readonly OpenLog[], n: number): Promise<{ file: number; pos: number }> {
  if (n === 0) return { file: files.length - 1, pos: files[files.length - 1]!.size };
  // Every file ends with a newline: the one before the first wanted line is the (n+1)-th from the end.
  let need = n + 1;
  const buf = Buffer.allocUnsafe(TAIL_CHUNK);
  for (let f = files.length - 1; f >= 0; f--) {
    let end = files[f]!.size;
    while (end > 0) {
      const len = Math.min(TAIL_CHUNK, end);
      const start = end - len;
      const { bytesRead } = await files[f]!.handle.read(buf, 0, len, start);
      for (let i = bytesRead; i > 0; ) {
        i = buf.lastIndexOf(NEWLINE, i - 1);
        if (i < 0) break;
        if (--need === 0) return { file: f, pos: start + i + 1 };
      }
      end = start;
    }
  }
  return { file: 0, pos: 0 };
}

/** A wake-up that is not lost when it comes before the wait. */
class Waker {
  private woken = false;
  private wake: (() => void) | undefined;

  readonly notify = (): void => {
    this.woken = true;
    this.wake?.();
  };

  /** true when notified, false when ms passed first. */
  wait(ms: number): Promise<boolean> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve(false);
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        this.woken = false;
        resolve(true);
      };
    });
  }
}

/** since/until applied to a batch; `past` when an entry came after until (nothing later can qualify). */
function inWindow(batch: LogEntry[], o: LogReadOptions): { kept: LogEntry[]; past: boolean } {
  const { since, until } = o;
  if (since === undefined && until === undefined) return { kept: batch, past: false };
  const kept: LogEntry[] = [];
  for (const e of batch) {
    if (until !== undefined && e.time > until) return { kept, past: true };
    if (since === undefined || e.time >= since) kept.push(e);
  }
  return { kept, past: false };
}

/** Reads a cursor to the end of its file; true when an entry came after until. */
async function* drain(cursor: Cursor, o: LogReadOptions): AsyncGenerator<LogEntry[], boolean> {
  for (let batch = await cursor.next(); batch; batch = await cursor.next()) {
    const { kept, past } = inWindow(batch, o);
    if (kept.length > 0) yield kept;
    if (past) return true;
  }
  return false;
}

export async function* readJsonLog(dir: string, id: string, o: LogReadOptions): AsyncGenerator<LogEntry[]> {
  const files = await settledLogs(dir, id);
  const closing = new Set(files.map((f) => f.handle));
  let watcher: FSWatcher | undefined;
  const waker = new Waker();
  const follow = o.follow;
  try {
    // Watch before reading: a write or rotation after the last read must still wake the follower.
    if (follow) {
      watcher = watch(dir, { persistent: false }, waker.notify);
      watcher.on('error', waker.notify);
      follow.signal?.addEventListener('abort', waker.notify, { once: true });
    }
    let first = 0;
    let pos = 0;
    if (o.tail !== undefined && o.tail >= 0 && files.length > 0) ({ file: first, pos } = await tailStart(files, o.tail));
    let cursor: Cursor | undefined;
    // A long follow goes through many rotations: each file is closed once the next one is taken.
    const moveTo = async (file: OpenLog, at: number): Promise<Cursor> => {
      if (cursor) {
        closing.delete(cursor.file.handle);
        await cursor.file.handle.close();
      }
      return new Cursor(file, at);
    };
    for (let f = first; f < files.length; f++) {
      cursor = await moveTo(files[f]!, f === first ? pos : 0);
      if (yield* drain(cursor, o)) return;
    }
    if (!follow) return;
    const current = jsonLogPath(dir, id);
    for (;;) {
      if (follow.signal?.aborted) return;
      // Asked before the last drain: once the exit record exists the log is complete.
      const exited = existsSync(follow.exitFile);
      for (;;) {
        // Looked at before the drain: the shim renames a file only after its last write, so a
        // rotation seen here means the drain below reads all the old file will ever hold.
        const now = await stat(current).catch(() => undefined);
        if (cursor && (yield* drain(cursor, o))) return;
        if (!now || now.ino === cursor?.file.ino) break;
        // Rotated (or first created): what the old file had is read; go on with the file after it.
        const next = await successor(dir, id, cursor?.file.ino, closing);
        if (!next) break;
        cursor = await moveTo(next, 0);
      }
      if (exited) return;
      const woken = await waker.wait(RECHECK_MS);
      if (!woken && !existsSync(follow.exitFile) && !(await follow.running())) {
        // The supervisor is gone without an exit record: read what is there and stop.
        if (cursor) yield* drain(cursor, o);
        return;
      }
    }
  } finally {
    watcher?.close();
    follow?.signal?.removeEventListener('abort', waker.notify);
    await Promise.all([...closing].map((h) => h.close().catch(() => undefined)));
  }
}

/**
 * The log files as openLogs gives them, but from a moment when no rotation was under way: the
 * shim renames a whole chain (.1 → .2, …, current → .1), and a listing taken in the middle of
 * it can miss a file or see one twice, which would make a follower skip or repeat a file.
 */
async function settledLogs(dir: string, id: string): Promise<OpenLog[]> {
  for (let attempt = 0; ; attempt++) {
    const files = await openLogs(dir, id);
    const names = jsonLogFiles(dir, id);
    const inodes = await Promise.all(names.map((n) => stat(n).then((st) => st.ino, () => -1)));
    const settled = inodes.length === files.length && inodes.every((ino, i) => ino === files[i]!.ino);
    if (settled || attempt >= 50) return files;
    await Promise.all(files.map((f) => f.handle.close()));
    await new Promise((r) => setTimeout(r, 1));
  }
}

/**
 * The file that follows the one with inode `after`; when that one is gone, the oldest there is
 * (the shim drops only the oldest file, or with max-file=1 the only one). The others are closed.
 */
async function successor(dir: string, id: string, after: number | undefined, closing: Set<FileHandle>): Promise<OpenLog | undefined> {
  const files = await settledLogs(dir, id);
  const at = after === undefined ? -1 : files.findIndex((f) => f.ino === after);
  const chosen = files[at + 1];
  for (const f of files) {
    if (f === chosen) closing.add(f.handle);
    else await f.handle.close();
  }
  return chosen;
}
