/**
 * `docker pull`: resolve a reference to one image manifest (choosing the platform from an
 * index), fetch and verify its config, then download its missing layers in parallel,
 * unpacking each while it streams. Every manifest and blob is checked against its digest
 * and every unpacked layer against the config's diff_ids. Nothing is visible until all of
 * it is verified: ImageStore.create commits the layers and tags the image in one step, so a
 * failed or killed pull leaves the store as it was.
 */
import { createHash } from 'node:crypto';
import { BerthError, InvalidArgumentError, errorMessage } from '../errors.js';
import type { LayerStore, PreparedLayer } from '../storage/layer-store.js';
import { chainIds } from '../storage/chain-id.js';
import { parseImageConfigBytes } from './config.js';
import type { ImageLayer, ImageStore } from './image-store.js';
import { hostPlatform } from './platform.js';
import { formatReference, parseReference, registryLocation, type Reference } from './reference.js';
import type { RegistryClient } from './registry/client.js';
import { parseManifest, selectManifest, type Descriptor, type PlatformSpec } from './registry/manifest.js';

/** What a pull reports as it goes, in docker's words (its progress IDs are short layer digests). */
export type PullEvent =
  | { kind: 'start'; text: string }
  | { kind: 'layer'; id: string; status: string; current?: number; total?: number }
  | { kind: 'done'; digest: string; status: string; reference: string };

export interface PullOptions {
  platform?: PlatformSpec;
  onProgress?: (event: PullEvent) => void;
  /** Layers downloaded at once (docker's default is 3). */
  concurrency?: number;
}

export interface PullResult {
  id: string;
  /** The manifest digest: the image as the registry names it. */
  digest: string;
  /** The local reference, e.g. `busybox:latest` or `busybox@sha256:…`. */
  reference: string;
}

/** An image config is a small document; refuse anything that would not fit comfortably in memory. */
const MAX_CONFIG_BYTES = 8 << 20;

const shortDigest = (d: string): string => d.slice('sha256:'.length, 'sha256:'.length + 12);

/** Checks a blob's digest as it streams; the mismatch is an error at the end of the stream, before anything is kept. */
async function* verified(source: AsyncIterable<Uint8Array>, digest: string, what: string, cancelled: () => boolean): AsyncGenerator<Uint8Array> {
  const hash = createHash('sha256');
  for await (const chunk of source) {
    if (cancelled()) throw new BerthError('Unavailable', 'pull cancelled: another layer failed');
    hash.update(chunk);
    yield chunk;
  }
  const got = `sha256:${hash.digest('hex')}`;
  if (got !== digest) throw new InvalidArgumentError(`${what}: digest mismatch: expected ${digest}, got ${got}`);
}

/** Runs tasks with at most `limit` at once; rejects with the first failure once all have settled. */
async function bounded<T>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (next < items.length && failure === undefined) {
      const i = next++;
      try {
        await task(items[i]!, i);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure;
}

export class Puller {
  constructor(
    private readonly images: ImageStore,
    private readonly layers: LayerStore,
    private readonly client: RegistryClient,
  ) {}

  async pull(ref: string, opts: PullOptions = {}): Promise<PullResult> {
    const parsed = parseReference(ref);
    const { registry, repository } = registryLocation(parsed.name);
    const what = formatReference(parsed);
    const progress = opts.onProgress ?? ((): void => undefined);
    if (parsed.digest === undefined && !/:[^/]*$/.test(ref)) progress({ kind: 'start', text: `Using default tag: ${parsed.tag ?? 'latest'}` });

    const reference = parsed.digest ?? parsed.tag ?? 'latest';
    const top = await this.client.getManifest(registry, repository, reference, what);
    progress({ kind: 'start', text: `${reference}: Pulling from ${repository}` });
    // docker's RepoDigests name what was pulled by: the index when there is one.
    const manifestDigest = top.digest;
    let document = parseManifest(top.bytes, top.contentType, what);
    if (document.kind === 'index') {
      const chosen = selectManifest(document.index, opts.platform ?? hostPlatform(), what);
      const fetched = await this.client.getManifest(registry, repository, chosen.digest, what);
      document = parseManifest(fetched.bytes, fetched.contentType ?? chosen.mediaType, what);
      if (document.kind !== 'image') throw new InvalidArgumentError(`${what}: an index entry is itself an index`);
    }
    const manifest = document.manifest;

    const configBytes = await this.client.getBlobBytes(registry, repository, manifest.config.digest, MAX_CONFIG_BYTES, `the config of ${what}`);
    const config = parseImageConfigBytes(configBytes, `config of ${what}`);
    const want = opts.platform;
    if (want && (config.os !== want.os || config.architecture !== want.architecture)) {
      throw new InvalidArgumentError(
        `image ${what} is for ${config.os}/${config.architecture}, not the requested ${want.os}/${want.architecture}`,
      );
    }
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== manifest.layers.length) {
      throw new InvalidArgumentError(`${what}: the manifest lists ${manifest.layers.length} layers but the config ${diffIds.length}`);
    }
    const chain = chainIds(diffIds);

    const layers: ImageLayer[] = [];
    const prepared: PreparedLayer[] = [];
    const missing: number[] = [];
    for (const [i, desc] of manifest.layers.entries()) {
      if (await this.layers.has(chain[i]!)) {
        layers[i] = chain[i]!;
        progress({ kind: 'layer', id: shortDigest(desc.digest), status: 'Already exists' });
      } else {
        missing.push(i);
        progress({ kind: 'layer', id: shortDigest(desc.digest), status: 'Pulling fs layer' });
      }
    }

    let failed = false;
    try {
      await bounded(missing, opts.concurrency ?? 3, async (i) => {
        const desc = manifest.layers[i]!;
        const layer = await this.fetchLayer(registry, repository, desc, i === 0 ? null : chain[i - 1]!, diffIds[i]!, what, progress, () => failed).catch(
          (err: unknown) => {
            failed = true;
            throw err;
          },
        );
        prepared.push(layer);
        layers[i] = layer;
      });
    } catch (err) {
      for (const p of prepared) await this.layers.discard(p);
      throw err;
    }

    const local = parsed.digest !== undefined ? `${parsed.name}@${parsed.digest}` : `${parsed.name}:${parsed.tag ?? 'latest'}`;
    const existed = await this.images.resolve(local).then(
      (img) => img.id,
      () => undefined,
    );
    const id = await this.images.create(configBytes, layers, {
      ...(parsed.digest === undefined ? { tag: local } : {}),
      repoDigest: `${parsed.name}@${manifestDigest}`,
    });
    const status = existed === id ? `Image is up to date for ${local}` : `Downloaded newer image for ${local}`;
    progress({ kind: 'done', digest: manifestDigest, status, reference: fullReference(parsed, registry, repository) });
    return { id, digest: manifestDigest, reference: local };
  }

  private async fetchLayer(
    registry: string,
    repository: string,
    desc: Descriptor,
    parent: string | null,
    diffId: string,
    what: string,
    progress: (e: PullEvent) => void,
    cancelled: () => boolean,
  ): Promise<PreparedLayer> {
    const id = shortDigest(desc.digest);
    const label = `layer ${desc.digest} of ${what}`;
    let current = 0;
    let lastReport = 0;
    const onBytes = (n: number): void => {
      current += n;
      // A line per chunk would flood a terminal; a few per second is what docker shows.
      const now = Date.now();
      if (now - lastReport >= 100 || current === desc.size) {
        lastReport = now;
        progress({ kind: 'layer', id, status: 'Downloading', current, total: desc.size });
      }
    };
    const source = verified(this.client.streamBlob(registry, repository, desc.digest, label, onBytes), desc.digest, label, cancelled);
    let layer: PreparedLayer;
    try {
      layer = await this.layers.unpack(parent, source, { label, parentPending: true });
    } catch (err) {
      if (err instanceof BerthError) throw err;
      throw new InvalidArgumentError(`${label}: ${errorMessage(err)}`, { cause: err });
    }
    progress({ kind: 'layer', id, status: 'Download complete' });
    if (layer.diffId !== diffId) {
      await this.layers.discard(layer);
      throw new InvalidArgumentError(`${label}: its content (${layer.diffId}) does not match the config's diff_id ${diffId}`);
    }
    progress({ kind: 'layer', id, status: 'Pull complete' });
    return layer;
  }
}

/** The reference as docker prints it at the end of a pull: with the registry and the library/ namespace. */
function fullReference(ref: Reference, registry: string, repository: string): string {
  const name = `${registry}/${repository}`;
  return ref.digest !== undefined ? `${name}@${ref.digest}` : `${name}:${ref.tag ?? 'latest'}`;
}
