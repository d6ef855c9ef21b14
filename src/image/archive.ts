/**
 * `docker save` and `docker load`: images as a docker-archive, the tar docker has
 * exchanged since 1.10. `manifest.json` lists each image's config and layer tars and
 * its tags; `repositories` is the older index of the same tags.
 *
 * save writes the layout docker 20.10 writes (`<config hex>.json`, `<layer>/layer.tar`),
 * which every docker since 1.10 loads, 25+ included. load also reads docker 25+'s
 * layout (an OCI image layout whose manifest.json points into blobs/sha256/), with
 * plain, gzip or zstd layer tars, and the symlinked layer.tar files 20.10 writes for a layer
 * shared by two images.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { InvalidArgumentError, InternalError, errorMessage } from '../errors.js';
import type { LayerStore, PreparedLayer } from '../storage/layer-store.js';
import { chainIds } from '../storage/chain-id.js';
import { END_OF_ARCHIVE, tarHeader, tarPadding } from '../storage/layer-tar.js';
import { ownerTag } from '../util/owner-tag.js';
import { ByteReader } from './byte-reader.js';
import { decompressed } from './compression.js';
import { parseImageConfigBytes, type ImageConfig } from './config.js';
import type { ImageLayer, ImageStore } from './image-store.js';
import { layerPathComponents } from './layer-path.js';
import { normalizeTagReference, parseReference } from './reference.js';
import { TarReader } from './tar-reader.js';

const manifestSchema = z.array(
  z
    .object({
      Config: z.string().min(1),
      RepoTags: z.array(z.string()).nullish(),
      Layers: z.array(z.string().min(1)),
    })
    .passthrough(),
);

/** manifest.json and configs are metadata read into memory; anything larger is not an archive docker made. */
const MAX_METADATA_BYTES = 64 << 20;

/** An image id or id prefix that could not be read as a name (`sha256:…`, or all 64 hex digits). */
const ID = /^(?:sha256:[0-9a-f]{1,64}|[0-9a-f]{64})$/;

// ---- save ---------------------------------------------------------------

interface SaveItem {
  id: string;
  /** Tags written to RepoTags, familiar form (`busybox:latest`). */
  tags: string[];
}

/**
 * The images refs name, in the order first named, with the tags each is saved under, as
 * docker chooses them: `name:tag` saves that tag, a bare name every tag of that repository
 * (or the image it resolves to, untagged, when it has none), an id or a digest the image
 * without tags.
 */
async function selectImages(images: ImageStore, refs: readonly string[]): Promise<SaveItem[]> {
  const items: SaveItem[] = [];
  const add = (id: string, tag?: string): void => {
    let item = items.find((i) => i.id === id);
    if (!item) {
      item = { id, tags: [] };
      items.push(item);
    }
    if (tag !== undefined && !item.tags.includes(tag)) item.tags.push(tag);
  };
  let listed: Awaited<ReturnType<ImageStore['list']>> | undefined;
  for (const ref of refs) {
    if (ID.test(ref) || ref.includes('@')) {
      add((await images.resolve(ref)).id);
      continue;
    }
    const parsed = parseReference(ref);
    const explicitTag = ref.lastIndexOf(':') > ref.lastIndexOf('/');
    if (explicitTag) {
      const tag = `${parsed.name}:${parsed.tag ?? 'latest'}`;
      add((await images.resolve(tag)).id, tag);
      continue;
    }
    listed ??= await images.list();
    let found = false;
    for (const image of listed) {
      for (const tag of image.RepoTags) {
        if (tag.slice(0, tag.lastIndexOf(':')) !== parsed.name) continue;
        add(image.Id, tag);
        found = true;
      }
    }
    // No tag of that name: an id prefix, or "No such image".
    if (!found) add((await images.resolve(ref)).id);
  }
  return items;
}

function fileEntry(name: string, data: Buffer, mtime: number): Buffer[] {
  return [tarHeader({ name, type: '0', mode: 0o644, uid: 0, gid: 0, size: data.length, mtime }), data, tarPadding(data.length)];
}

function createdSeconds(config: ImageConfig): number {
  const ms = config.created === undefined ? Number.NaN : Date.parse(config.created);
  return Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) : 0;
}

/**
 * The config as saved. A saved layer.tar is the layer's original archive, made again from its
 * tar-split record (image/tar-split.ts), so its digest is the original diff_id. A layer without
 * one (or whose files no longer match it) is written anew (storage/layer-tar.ts); then the
 * config's rootfs.diff_ids are rewritten to the digests of the tars actually written, so that
 * the archive verifies: the image gets a new id, as any re-export of its layers would give it.
 */
export function savedConfig(bytes: Buffer, config: ImageConfig, diffIds: readonly string[]): Buffer {
  if (diffIds.every((d, i) => d === config.rootfs.diff_ids[i])) return bytes;
  const raw = JSON.parse(bytes.toString('utf8')) as { rootfs: Record<string, unknown> };
  raw.rootfs = { ...raw.rootfs, diff_ids: diffIds };
  return Buffer.from(JSON.stringify(raw));
}

/**
 * A docker-archive of the images refs name, streamed. Layers shared by several images are
 * written once. Nothing is written before every ref has been found.
 */
export async function* saveImages(images: ImageStore, layers: LayerStore, refs: readonly string[]): AsyncGenerator<Buffer> {
  const items = await selectImages(images, refs);
  const resolved: Array<SaveItem & { config: ImageConfig; bytes: Buffer; chain: string[] }> = [];
  for (const item of items) {
    const { config } = await images.resolve(item.id);
    const chain = chainIds(config.rootfs.diff_ids);
    for (const chainId of chain) await layers.info(chainId);
    resolved.push({ ...item, config, bytes: await images.configBytes(item.id), chain });
  }

  /** Per chain id: where its layer.tar is in the archive and the digest of what was written. */
  const written = new Map<string, { dir: string; diffId: string }>();
  const configsWritten = new Set<string>();
  const manifest: Array<{ Config: string; RepoTags: string[] | null; Layers: string[] }> = [];
  const repositories: Record<string, Record<string, string>> = {};

  for (const image of resolved) {
    const mtime = createdSeconds(image.config);
    for (const chainId of image.chain) {
      if (written.has(chainId)) continue;
      const dir = chainId.slice('sha256:'.length);
      const tar = await layers.tar(chainId);
      const size = tar.size;
      yield tarHeader({ name: `${dir}/`, type: '5', mode: 0o755, uid: 0, gid: 0, size: 0, mtime });
      yield tarHeader({ name: `${dir}/layer.tar`, type: '0', mode: 0o644, uid: 0, gid: 0, size, mtime });
      const hash = createHash('sha256');
      let length = 0;
      for await (const chunk of tar.stream()) {
        hash.update(chunk);
        length += chunk.length;
        // The header announced size bytes; a tar with more or fewer would be corrupt.
        if (length > size) break;
        yield chunk;
      }
      if (length !== size) throw new InternalError(`layer ${chainId} changed while it was being saved`);
      yield tarPadding(size);
      written.set(chainId, { dir, diffId: `sha256:${hash.digest('hex')}` });
    }

    const diffIds = image.chain.map((c) => written.get(c)!.diffId);
    const bytes = savedConfig(image.bytes, image.config, diffIds);
    const configName = `${createHash('sha256').update(bytes).digest('hex')}.json`;
    if (!configsWritten.has(configName)) {
      configsWritten.add(configName);
      yield* fileEntry(configName, bytes, mtime);
    }
    const layerDirs = image.chain.map((c) => written.get(c)!.dir);
    manifest.push({ Config: configName, RepoTags: image.tags.length > 0 ? image.tags : null, Layers: layerDirs.map((d) => `${d}/layer.tar`) });
    const top = layerDirs[layerDirs.length - 1];
    for (const tag of image.tags) {
      if (top === undefined) continue;
      const colon = tag.lastIndexOf(':');
      (repositories[tag.slice(0, colon)] ??= {})[tag.slice(colon + 1)] = top;
    }
  }

  yield* fileEntry('manifest.json', Buffer.from(JSON.stringify(manifest)), 0);
  if (Object.keys(repositories).length > 0) yield* fileEntry('repositories', Buffer.from(JSON.stringify(repositories)), 0);
  yield END_OF_ARCHIVE;
}

// ---- load ---------------------------------------------------------------

export interface LoadOptions {
  /** Called with each line docker prints: `Loaded image: busybox:latest`, `Loaded image ID: sha256:…`. */
  onLoaded(line: string): void;
  /** Names the archive in errors (a file name, "the standard input"); default "the archive". */
  label?: string;
}

/**
 * The archive's files, spooled into a temp dir: entries may come in any order (docker
 * writes manifest.json last), so nothing can be read until all of it has arrived.
 */
class SpooledArchive {
  private readonly files = new Map<string, string>();
  /** Symlinks and hard links between entries: archive path → the archive path it points at. */
  private readonly links = new Map<string, string>();
  private count = 0;

  constructor(
    private readonly dir: string,
    private readonly label: string,
  ) {}

  private escapes(name: string): InvalidArgumentError {
    return new InvalidArgumentError(`invalid archive ${this.label}: ${JSON.stringify(name)} points outside the archive`);
  }

  /** The path below the archive root, `a/b` form; throws when it climbs out. */
  private key(name: string): string {
    const parts = layerPathComponents(name);
    if (parts === undefined) throw this.escapes(name);
    return parts.join('/');
  }

  async receive(source: AsyncIterable<Uint8Array>): Promise<void> {
    const input = new ByteReader(decompressed(source, this.label)[Symbol.asyncIterator]());
    try {
      for await (const { entry, body } of new TarReader(input, this.label).entries()) {
        const key = this.key(entry.name);
        if (key === '') continue;
        switch (entry.type) {
          case 'file': {
            const file = path.join(this.dir, String(this.count++));
            await pipeline(Readable.from(body), createWriteStream(file, { flags: 'wx', mode: 0o600 }));
            this.files.set(key, file);
            this.links.delete(key);
            break;
          }
          case 'symlink': {
            const target = entry.linkname.startsWith('/') ? entry.linkname : `${path.posix.dirname(key)}/${entry.linkname}`;
            this.links.set(key, this.key(target));
            this.files.delete(key);
            break;
          }
          case 'hardlink':
            this.links.set(key, this.key(entry.linkname));
            this.files.delete(key);
            break;
          default:
            // Directories (and anything else) carry nothing a load reads.
            break;
        }
      }
      await input.drain();
    } finally {
      await input.close();
    }
  }

  /** The spooled file behind an archive path, following links between entries; undefined when there is none. */
  private find(name: string): string | undefined {
    let key = this.key(name);
    // Links may chain, and may loop.
    for (let hops = 0; hops < 40; hops++) {
      const file = this.files.get(key);
      if (file !== undefined) return file;
      const next = this.links.get(key);
      if (next === undefined) return undefined;
      key = next;
    }
    return undefined;
  }

  has(name: string): boolean {
    return this.find(name) !== undefined;
  }

  file(name: string, what: string): string {
    const file = this.find(name);
    if (file === undefined) throw new InvalidArgumentError(`invalid archive ${this.label}: ${what} ${JSON.stringify(name)} is not in the archive`);
    return file;
  }

  async read(name: string, what: string): Promise<Buffer> {
    const file = this.file(name, what);
    if ((await stat(file)).size > MAX_METADATA_BYTES) {
      throw new InvalidArgumentError(`invalid archive ${this.label}: ${what} ${JSON.stringify(name)} is larger than ${MAX_METADATA_BYTES} bytes`);
    }
    return readFile(file);
  }
}

interface LoadItem {
  configBytes: Buffer;
  config: ImageConfig;
  chain: string[];
  /** Normalised, familiar tags (`busybox:latest`). */
  tags: string[];
}

/** Parses manifest.json and every config and tag in it; nothing in the store is touched. */
async function readManifest(archive: SpooledArchive, label: string): Promise<{ items: LoadItem[]; layerPaths: Map<string, string> }> {
  if (!archive.has('manifest.json')) throw new InvalidArgumentError(`invalid archive ${label}: it has no manifest.json (it was not made by docker save)`);
  const manifestBytes = await archive.read('manifest.json', 'file');
  let raw: unknown;
  try {
    raw = JSON.parse(manifestBytes.toString('utf8'));
  } catch {
    throw new InvalidArgumentError(`invalid archive ${label}: manifest.json is not JSON`);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidArgumentError(`invalid archive ${label}: manifest.json: ${issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue?.message ?? 'invalid'}`);
  }

  const items: LoadItem[] = [];
  /** Per chain id, the archive path of its layer tar (the first image that lists it). */
  const layerPaths = new Map<string, string>();
  for (const entry of parsed.data) {
    const configBytes = await archive.read(entry.Config, 'config');
    // A blob in an OCI layout is named by its digest: check it, as every reader of the layout does.
    const blob = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(layerPathComponents(entry.Config)?.join('/') ?? '');
    if (blob && createHash('sha256').update(configBytes).digest('hex') !== blob[1]) {
      throw new InvalidArgumentError(`invalid archive ${label}: config ${entry.Config} does not match its digest`);
    }
    const config = parseImageConfigBytes(configBytes, `config ${entry.Config} in ${label}`);
    if (config.os !== 'linux') throw new InvalidArgumentError(`image operating system "${config.os}" cannot be used on this platform`);
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== entry.Layers.length) {
      throw new InvalidArgumentError(`invalid archive ${label}: ${entry.Config} lists ${diffIds.length} layers, manifest.json ${entry.Layers.length}`);
    }
    const chain = chainIds(diffIds);
    chain.forEach((c, i) => {
      if (!layerPaths.has(c)) layerPaths.set(c, entry.Layers[i]!);
    });
    const tags = (entry.RepoTags ?? []).map((t) => normalizeTagReference(t));
    items.push({ configBytes, config, chain, tags: [...new Set(tags)] });
  }
  return { items, layerPaths };
}

/**
 * Loads the images of a docker-archive (plain, gzip or zstd) and tags them; returns their ids in
 * the archive's order. Every layer is unpacked and checked against its config's diff_ids,
 * every config and tag parsed, before the first image is stored: a bad archive leaves the
 * stores as they were. (Should storing fail midway, for a full disk, the images stored
 * before it stay, as with docker.)
 */
export async function loadImages(images: ImageStore, layers: LayerStore, source: AsyncIterable<Uint8Array>, opts: LoadOptions): Promise<string[]> {
  const label = opts.label ?? 'the archive';
  await mkdir(layers.tmpDir, { recursive: true, mode: 0o700 });
  // Named as LayerStore names its temp dirs, so a crashed load's spool is swept like a crashed unpack.
  const tmp = path.join(layers.tmpDir, `${ownerTag()}-${randomBytes(6).toString('hex')}-load`);
  await mkdir(tmp, { mode: 0o700 });
  const pending = new Map<string, PreparedLayer>();
  try {
    const archive = new SpooledArchive(tmp, label);
    await archive.receive(source);
    const { items, layerPaths } = await readManifest(archive, label);

    for (const item of items) {
      for (const [i, chainId] of item.chain.entries()) {
        if (pending.has(chainId) || (await layers.has(chainId))) continue;
        const layerPath = layerPaths.get(chainId)!;
        const diffId = item.config.rootfs.diff_ids[i]!;
        const layerLabel = `layer ${layerPath} of ${label}`;
        const file = archive.file(layerPath, 'layer');
        let prepared: PreparedLayer;
        try {
          prepared = await layers.unpack(i === 0 ? null : item.chain[i - 1]!, createReadStream(file), { label: layerLabel, parentPending: true });
        } catch (err) {
          if (err instanceof InvalidArgumentError || !(err instanceof Error)) throw err;
          throw new InvalidArgumentError(`${layerLabel}: ${errorMessage(err)}`, { cause: err });
        }
        if (prepared.diffId !== diffId) {
          await layers.discard(prepared);
          throw new InvalidArgumentError(`${layerLabel}: its content (${prepared.diffId}) does not match the config's diff_id ${diffId}`);
        }
        pending.set(chainId, prepared);
      }
    }

    const ids: string[] = [];
    for (const item of items) {
      const imageLayers: ImageLayer[] = item.chain.map((c) => pending.get(c) ?? c);
      const [first, ...rest] = item.tags;
      const previous = new Map<string, string | undefined>();
      for (const tag of item.tags) previous.set(tag, await images.resolve(tag).then((r) => r.id, () => undefined));
      const id = await images.create(item.configBytes, imageLayers, first !== undefined ? { tag: first } : {});
      // Committed by create (or already in the store): later images refer to them by chain id.
      for (const c of item.chain) pending.delete(c);
      for (const tag of rest) await images.tag(id, tag);
      for (const tag of item.tags) {
        const old = previous.get(tag);
        if (old !== undefined && old !== id) opts.onLoaded(`The image ${tag} already exists, renaming the old one with ID ${old} to empty string`);
        opts.onLoaded(`Loaded image: ${tag}`);
      }
      if (item.tags.length === 0) opts.onLoaded(`Loaded image ID: ${id}`);
      ids.push(id);
    }
    return ids;
  } finally {
    for (const prepared of pending.values()) await layers.discard(prepared);
    await rm(tmp, { recursive: true, force: true });
  }
}
