/**
 * `docker import`: a filesystem tarball (plain, gzip or zstd) becomes a one-layer image.
 * The layer is unpacked out of sight and the image appears in one step under the
 * image lock, so a failure at any point leaves the stores as they were.
 */
import type { ContainerConfig, ImageConfig } from './config.js';
import { applyChanges } from './changes.js';
import type { ImageStore } from './image-store.js';
import { hostPlatform } from './platform.js';
import { normalizeTagReference } from './reference.js';
import type { LayerStore } from '../storage/layer-store.js';

export interface ImportOptions {
  /** The tarball; a Node Readable (file, stdin, HTTP body) or any byte iterable. */
  source: AsyncIterable<Uint8Array>;
  /** Tag for the new image (`name[:tag]`). */
  ref?: string;
  /** Dockerfile instructions applied to the config (`--change`). */
  changes?: string[];
  /** The history comment; default "Imported from <sourceName>". */
  message?: string;
  /** Where the tarball came from: a path, a URL, or `-` for stdin (the default). */
  sourceName?: string;
}

export interface ArchiveImport {
  source: AsyncIterable<Uint8Array>;
  /** Names the archive in errors. */
  label: string;
  ref?: string;
  /** The image config, made once the layer's diff id is known. */
  config(diffId: string): ImageConfig;
}

/** Imports a tarball as docker import does; returns the new image's id. */
export async function importImage(images: ImageStore, layers: LayerStore, opts: ImportOptions): Promise<string> {
  const sourceName = opts.sourceName ?? '-';
  // Bad changes are found before a single byte of the archive is read.
  const containerConfig: ContainerConfig = applyChanges({}, opts.changes ?? []);
  const comment = opts.message ?? `Imported from ${sourceName}`;
  const created = new Date().toISOString();
  return importArchive(images, layers, {
    source: opts.source,
    label: sourceName === '-' ? 'the standard input' : sourceName,
    ...(opts.ref !== undefined ? { ref: opts.ref } : {}),
    config: (diffId) => ({
      ...hostPlatform(),
      created,
      comment,
      config: containerConfig,
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created, comment }],
    }),
  });
}

/** Unpacks one archive as a base layer and stores an image of it, tagged with ref when given. */
export async function importArchive(images: ImageStore, layers: LayerStore, archive: ArchiveImport): Promise<string> {
  // A bad tag is refused before the archive is read.
  if (archive.ref !== undefined) normalizeTagReference(archive.ref);
  const prepared = await layers.unpack(null, archive.source, { label: archive.label });
  let bytes: Buffer;
  try {
    bytes = Buffer.from(JSON.stringify(archive.config(prepared.diffId)));
  } catch (err) {
    await layers.discard(prepared);
    throw err;
  }
  // create commits the layer with the config and tag, or discards it.
  return images.create(bytes, [prepared], archive.ref !== undefined ? { tag: archive.ref } : {});
}

