/**
 * What it takes to make a layer's original tar again, byte for byte, from its unpacked files
 * (as docker's tar-split does): every byte of the archive that is not file content, in order,
 * and for each file body the path it was unpacked to. Kept beside the layer's diff dir, so that
 * save and push give the layer its original diff_id, and the image its original id.
 *
 * Format (gzip): records of a type byte, then
 *   1 (bytes):  u32 length, the bytes;
 *   2 (a body): u32 path length, the path (relative to the diff dir), u64 size.
 */
import { closeSync, createReadStream, createWriteStream, existsSync, fstatSync, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip, createGzip, type Gzip } from 'node:zlib';
import { ByteReader } from './byte-reader.js';
import { layerPathComponents } from './layer-path.js';
import type { TarEntry, TarRecorder } from './tar-reader.js';
import { O, RESOLVE, addon } from '../native/addon.js';
import { InternalError } from '../errors.js';

const RAW = 1;
const BODY = 2;

/** Records an archive as TarReader reads it; `close` when the archive was read to its end. */
export class TarSplitWriter implements TarRecorder {
  private readonly gzip: Gzip;
  private readonly out: WriteStream;
  private readonly done: Promise<void>;

  constructor(file: string) {
    this.gzip = createGzip({ level: 1 });
    this.out = createWriteStream(file, { mode: 0o600 });
    this.done = new Promise((resolve, reject) => {
      this.out.once('finish', resolve);
      this.out.once('error', reject);
      this.gzip.once('error', reject);
    });
    this.gzip.pipe(this.out);
  }

  raw(bytes: Buffer): void {
    if (bytes.length === 0) return;
    const head = Buffer.alloc(5);
    head.writeUInt8(RAW, 0);
    head.writeUInt32LE(bytes.length, 1);
    this.gzip.write(head);
    this.gzip.write(bytes);
  }

  body(entry: TarEntry): void {
    // The path the layer writer gave the file; one it refused never gets this far.
    const rel = Buffer.from((layerPathComponents(entry.name) ?? []).join('/'), 'utf8');
    const head = Buffer.alloc(5);
    head.writeUInt8(BODY, 0);
    head.writeUInt32LE(rel.length, 1);
    const size = Buffer.alloc(8);
    size.writeBigUInt64LE(BigInt(entry.size));
    this.gzip.write(Buffer.concat([head, rel, size]));
  }

  async close(): Promise<void> {
    this.gzip.end();
    await this.done;
  }

  /** Stops after a failed read; the file is incomplete and goes with the layer's temp dir. */
  abort(): void {
    this.gzip.destroy();
    this.out.destroy();
    this.done.catch(() => undefined);
  }
}

type Segment = { raw: Buffer } | { path: string; size: number };

async function* segments(file: string): AsyncGenerator<Segment> {
  const gunzip = createGunzip();
  // pipe() does not pass the file's errors on: the reader must see them.
  createReadStream(file)
    .once('error', (err) => gunzip.destroy(err))
    .pipe(gunzip);
  const input = new ByteReader(gunzip[Symbol.asyncIterator]());
  try {
    for (;;) {
      const head = await input.read(5);
      if (head.length === 0) return;
      if (head.length !== 5) throw new Error('truncated record');
      const length = head.readUInt32LE(1);
      const data = await input.read(length);
      if (data.length !== length) throw new Error('truncated record');
      if (head[0] === RAW) {
        yield { raw: data };
      } else if (head[0] === BODY) {
        const size = await input.read(8);
        if (size.length !== 8) throw new Error('truncated record');
        yield { path: data.toString('utf8'), size: Number(size.readBigUInt64LE()) };
      } else {
        throw new Error(`unknown record type ${head[0]}`);
      }
    }
  } finally {
    await input.close();
  }
}

/** A regular file of the diff dir, opened without following any symlink (a later entry may have put one in its path). */
function openBody(diffFd: number, rel: string): number {
  return addon().openat2(diffFd, rel, O.RDONLY, 0, RESOLVE.IN_ROOT | RESOLVE.NO_SYMLINKS | RESOLVE.NO_MAGICLINKS);
}

/**
 * The original archive of the layer at diffDir, when splitFile can make it: its length and a
 * stream of it. Undefined when there is no split file or a body is no longer what it was (a
 * file the archive wrote twice, AUFS's hard link store): the caller writes a tar of its own then.
 */
export async function originalTar(diffDir: string, splitFile: string): Promise<{ size: number; stream: () => AsyncGenerator<Buffer> } | undefined> {
  // Layers stored before berth kept records have none.
  if (!existsSync(splitFile)) return undefined;
  let size = 0;
  const dir = await open(diffDir, 'r');
  try {
    for await (const s of segments(splitFile)) {
      if ('raw' in s) {
        size += s.raw.length;
        continue;
      }
      const fd = openBody(dir.fd, s.path);
      try {
        const st = fstatSync(fd);
        if (!st.isFile() || st.size !== s.size) return undefined;
      } finally {
        closeSync(fd);
      }
      size += s.size;
    }
  } catch {
    return undefined;
  } finally {
    await dir.close();
  }
  return { size, stream: () => replay(diffDir, splitFile) };
}

async function* replay(diffDir: string, splitFile: string): AsyncGenerator<Buffer> {
  const dir = await open(diffDir, 'r');
  try {
    for await (const s of segments(splitFile)) {
      if ('raw' in s) {
        yield s.raw;
        continue;
      }
      let left = s.size;
      // The stream owns the fd and closes it.
      for await (const chunk of createReadStream('', { fd: openBody(dir.fd, s.path), start: 0, end: s.size - 1 }) as AsyncIterable<Buffer>) {
        left -= chunk.length;
        yield chunk;
      }
      if (left !== 0) throw new InternalError(`${s.path} in ${diffDir} is shorter than the layer's archive said`);
    }
  } finally {
    await dir.close();
  }
}
