/**
 * zstd decompression: Node's own decoder where the running Node has one (zlib's
 * createZstdDecompress, Node 22.15 and 23.8 on), else the addon's ZstdDecoder over the
 * system's libzstd. Both report bad data with a `ZSTD_error_…` code and data cut short
 * inside a frame as zlib's `Z_BUF_ERROR`, "unexpected end of file".
 */
import type { Transform } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import * as zlib from 'node:zlib';
import { addon } from '../native/addon.js';

/** Node's zstd decompressor, when this Node has one. */
export function nodeZstdDecompressor(): (() => Transform) | undefined {
  if (!('createZstdDecompress' in zlib)) return undefined;
  const create: unknown = zlib.createZstdDecompress;
  return typeof create === 'function' ? () => (create as () => Transform)() : undefined;
}

/** The compressed data ends inside a frame; code and message as Node's own zstd decoder reports it. */
class TruncatedZstdError extends Error {
  override name = 'TruncatedZstdError';
  readonly code = 'Z_BUF_ERROR';
  constructor() {
    super('unexpected end of file');
  }
}

/** The decompressed bytes of source, through the addon. */
export async function* nativeZstdDecompressed(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const decoder = new (addon().ZstdDecoder)();
  let frameEnd = true;
  try {
    for await (const chunk of source) {
      let input = chunk;
      for (;;) {
        const step = decoder.decompress(input);
        frameEnd = step.frameEnd;
        input = input.subarray(step.read);
        for (const piece of step.output) yield piece;
        if (!step.more) break;
        // A highly compressed chunk can expand without end; the consumer may take it without
        // waiting on anything (draining a tar's tail). Let the event loop run between megabytes.
        await nextTurn();
      }
    }
  } finally {
    decoder.close();
  }
  if (!frameEnd) throw new TruncatedZstdError();
}
