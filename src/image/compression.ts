/**
 * Layer and import archives come plain or compressed; the format is told by the
 * first bytes, as docker does, never by a file name or media type alone.
 */
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { InvalidArgumentError, isSystemError } from '../errors.js';
import { nativeZstdDecompressed, nodeZstdDecompressor } from './zstd.js';

/** Bytes of output per inflate call. */
const INFLATE_CHUNK = 256 * 1024;

export type Compression = 'none' | 'gzip' | 'bzip2' | 'xz' | 'zstd';

const MAGIC: ReadonlyArray<[Compression, number[]]> = [
  ['gzip', [0x1f, 0x8b, 0x08]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
];

export function detectCompression(head: Uint8Array): Compression {
  for (const [kind, magic] of MAGIC) {
    if (head.length >= magic.length && magic.every((b, i) => head[i] === b)) return kind;
  }
  return 'none';
}

function toBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

async function* replay(head: Buffer[], rest: AsyncIterator<Uint8Array>): AsyncGenerator<Buffer> {
  try {
    yield* head;
    for (;;) {
      const r = await rest.next();
      if (r.done === true) return;
      yield toBuffer(r.value);
    }
  } finally {
    // Stopping early (a refused layer) must close the file or connection behind the source.
    await rest.return?.();
  }
}

/** The uncompressed bytes of source; label names it in errors. */
export async function* decompressed(source: AsyncIterable<Uint8Array>, label: string): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLength = 0;
  let ended = false;
  while (headLength < 6) {
    const r = await it.next();
    if (r.done === true) {
      ended = true;
      break;
    }
    const chunk = toBuffer(r.value);
    head.push(chunk);
    headLength += chunk.length;
  }
  const kind = detectCompression(Buffer.concat(head));
  if (kind === 'none') {
    if (ended) yield* head;
    else yield* replay(head, it);
    return;
  }
  if (kind === 'bzip2' || kind === 'xz') {
    await it.return?.();
    throw new InvalidArgumentError(`${label} is compressed with ${kind}, which berth cannot decompress (use an uncompressed, gzip or zstd archive)`);
  }
  try {
    for await (const chunk of inflated(kind, replay(head, it))) yield chunk;
  } catch (err) {
    // The decoders' own errors (zlib's Z_DATA_ERROR, Z_BUF_ERROR; zstd's ZSTD_error_…) mean bad
    // input; anything else is the source failing.
    if (isSystemError(err) && /^(Z_|ZSTD_)/.test(err.code)) {
      throw new InvalidArgumentError(`${label}: invalid ${kind} data (${err.message})`, { cause: err });
    }
    throw err;
  }
}

function inflated(kind: 'gzip' | 'zstd', source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  // Each output buffer is one trip through the libuv pool, which costs more than inflating a
  // small one: zlib's default 16 KiB made a layer of a few hundred megabytes tens of thousands.
  if (kind === 'gzip') return throughStream(createGunzip({ chunkSize: INFLATE_CHUNK }), source);
  const nodeZstd = nodeZstdDecompressor();
  return nodeZstd ? throughStream(nodeZstd(), source) : nativeZstdDecompressed(source);
}

async function* throughStream(decoder: Transform, source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const done = pipeline(Readable.from(source), decoder);
  // Failures surface through the iteration below; this only keeps the rejection handled.
  done.catch(() => undefined);
  for await (const chunk of decoder) yield chunk as Buffer;
  await done;
}
