/**
 * Unpacking one layer archive (a plain, gzip or zstd tar) into an empty directory, and
 * computing its diff_id: the sha256 of the uncompressed tar, the digest image
 * configs list in rootfs.diff_ids.
 */
import { createHash, type Hash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { BerthError, InternalError, InvalidArgumentError, errorMessage } from '../errors.js';
import { ByteReader } from './byte-reader.js';
import { decompressed } from './compression.js';
import { LayerWriter } from './layer-writer.js';
import { TarReader } from './tar-reader.js';
import { TarSplitWriter } from './tar-split.js';

export interface UnpackResult {
  /** `sha256:<hex>` of the uncompressed tar. */
  diffId: string;
  /** Bytes of regular file content in the layer. */
  size: number;
}

export interface UnpackOptions {
  /** Names the archive in error messages (a file name, `-` for stdin); default "layer". */
  label?: string;
  /** Where to record what makes the archive again from the files (image/tar-split.ts). */
  splitFile?: string;
}

async function* hashing(source: AsyncIterable<Buffer>, hash: Hash): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    hash.update(chunk);
    yield chunk;
  }
}

/**
 * Extracts source into destDir, which must exist and be empty. On failure the
 * directory holds a partial layer: the caller removes it.
 */
export async function unpackLayer(source: AsyncIterable<Uint8Array>, destDir: string, options: UnpackOptions = {}): Promise<UnpackResult> {
  const label = options.label ?? 'layer';
  if ((await readdir(destDir)).length > 0) throw new InvalidArgumentError(`cannot unpack ${label} into ${destDir}: the directory is not empty`);
  const hash = createHash('sha256');
  const input = new ByteReader(hashing(decompressed(source, label), hash)[Symbol.asyncIterator]());
  const writer = new LayerWriter(destDir);
  const split = options.splitFile ? new TarSplitWriter(options.splitFile) : undefined;
  const reader = new TarReader(input, label, split);
  let recorded = false;
  try {
    for await (const { entry, body } of reader.entries()) {
      try {
        await writer.write(entry, body);
      } catch (err) {
        if (err instanceof BerthError) throw err;
        throw new InternalError(`unpacking ${label}: entry ${JSON.stringify(entry.name)}: ${errorMessage(err)}`, { cause: err });
      }
    }
    await writer.finish();
    // Bytes after the end-of-archive marker are part of the tar, and of its digest.
    await reader.drain();
    await split?.close();
    recorded = true;
  } finally {
    if (!recorded) split?.abort();
    await input.close();
  }
  return { diffId: `sha256:${hash.digest('hex')}`, size: writer.size };
}
