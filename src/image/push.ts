/**
 * `docker push`: an image's layers (their original archives where berth can make them again,
 * else re-tarred from their diff dirs; gzipped, whatever compression they were pulled with), then its
 * config, then a Docker schema2 manifest, last, so the tag appears only when every blob it
 * names is in place. A blob the registry has is not sent again; one it has in another
 * repository of the same registry is mounted from there.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { createGzip } from 'node:zlib';
import { InvalidArgumentError, UnavailableError } from '../errors.js';
import type { LayerStore } from '../storage/layer-store.js';
import { chainIds } from '../storage/chain-id.js';
import { ownerTag } from '../util/owner-tag.js';
import { savedConfig } from './archive.js';
import type { ImageStore } from './image-store.js';
import { parseReference, registryLocation } from './reference.js';
import { RegistryClient, sha256Digest } from './registry/client.js';
import { MEDIA } from './registry/manifest.js';

export type PushEvent =
  | { kind: 'start'; text: string }
  | { kind: 'layer'; id: string; status: string; current?: number; total?: number }
  | { kind: 'done'; text: string };

export interface PushResult {
  digest: string;
  size: number;
}

const DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar.gzip';

interface Blob {
  digest: string;
  size: number;
  /** A file holding the blob, or its bytes. */
  file?: string;
  bytes?: Buffer;
}

const short = (d: string): string => d.slice('sha256:'.length, 'sha256:'.length + 12);

export class Pusher {
  constructor(
    private readonly images: ImageStore,
    private readonly layers: LayerStore,
    private readonly client: RegistryClient,
  ) {}

  async push(ref: string, onProgress: (e: PushEvent) => void = () => undefined): Promise<PushResult> {
    const parsed = parseReference(ref);
    if (parsed.digest !== undefined) throw new InvalidArgumentError(`cannot push a digest reference: ${ref}`);
    const tag = parsed.tag ?? 'latest';
    const local = `${parsed.name}:${tag}`;
    const { id, config } = await this.images.resolve(local);
    const { registry, repository } = registryLocation(parsed.name);
    const scope = `repository:${repository}:pull,push`;
    onProgress({ kind: 'start', text: `The push refers to repository [${registry}/${repository}]` });

    // Repositories of the same registry this image came from: a blob there can be mounted.
    const mountFrom = (await this.images.referencesTo(id)).digests
      .map((d) => registryLocation(d.slice(0, d.indexOf('@'))))
      .filter((l) => l.registry === registry && l.repository !== repository)
      .map((l) => l.repository);

    const tmp = path.join(this.layers.tmpDir, `${ownerTag()}-${randomBytes(6).toString('hex')}-push`);
    await mkdir(tmp, { recursive: true, mode: 0o700 });
    try {
      const chain = chainIds(config.rootfs.diff_ids);
      const layerBlobs: Blob[] = [];
      const diffIds: string[] = [];
      for (const [i, chainId] of chain.entries()) {
        const progressId = short(config.rootfs.diff_ids[i]!);
        onProgress({ kind: 'layer', id: progressId, status: 'Preparing' });
        const { blob, diffId } = await this.packLayer((await this.layers.tar(chainId)).stream(), path.join(tmp, `${i}.tar.gz`));
        layerBlobs.push(blob);
        diffIds.push(diffId);
      }
      const configBytes = savedConfig(await this.images.configBytes(id), config, diffIds);
      const configBlob: Blob = { digest: sha256Digest(configBytes), size: configBytes.length, bytes: configBytes };

      for (const [i, blob] of layerBlobs.entries()) {
        const progressId = short(config.rootfs.diff_ids[i]!);
        const status = await this.uploadBlob(registry, repository, scope, blob, mountFrom, (current) =>
          onProgress({ kind: 'layer', id: progressId, status: 'Pushing', current, total: blob.size }),
        );
        onProgress({ kind: 'layer', id: progressId, status });
      }
      await this.uploadBlob(registry, repository, scope, configBlob, mountFrom, () => undefined);

      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MEDIA.dockerManifest,
          config: { mediaType: MEDIA.dockerConfig, size: configBlob.size, digest: configBlob.digest },
          layers: layerBlobs.map((b) => ({ mediaType: DOCKER_LAYER, size: b.size, digest: b.digest })),
        }),
      );
      const digest = sha256Digest(manifest);
      const res = await this.client.request(registry, `/v2/${repository}/manifests/${tag}`, scope, { 'Content-Type': MEDIA.dockerManifest }, { method: 'PUT', body: () => new Uint8Array(manifest) });
      if (!res.ok) throw await this.client.httpError(res, `${parsed.name}:${tag}`, 'manifest');
      await res.body?.cancel();
      const claimed = res.headers.get('docker-content-digest');
      if (claimed && claimed !== digest) throw new UnavailableError(`the registry stored the manifest as ${claimed}, not ${digest}`);
      // The image now has a digest in that repository, as docker records it.
      if (configBlob.digest === id) await this.images.locked(() => this.images.addRepoDigest(`${parsed.name}@${digest}`, id));
      onProgress({ kind: 'done', text: `${tag}: digest: ${digest} size: ${manifest.length}` });
      return { digest, size: manifest.length };
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  /** The layer as a gzipped tar in file; its diff_id (of the tar) and digest (of the gzip) are taken on the way. */
  private async packLayer(tar: AsyncIterable<Buffer>, file: string): Promise<{ blob: Blob; diffId: string }> {
    const tarHash = createHash('sha256');
    const gzHash = createHash('sha256');
    let size = 0;
    const gzip = createGzip();
    const fh = await open(file, 'w', 0o600);
    const written = (async () => {
      for await (const chunk of gzip as AsyncIterable<Buffer>) {
        gzHash.update(chunk);
        size += chunk.length;
        await fh.write(chunk);
      }
    })();
    try {
      for await (const chunk of tar) {
        tarHash.update(chunk);
        if (!gzip.write(chunk)) await new Promise((r) => gzip.once('drain', r));
      }
      gzip.end();
      await written;
    } finally {
      await fh.close();
    }
    return { blob: { digest: `sha256:${gzHash.digest('hex')}`, size, file }, diffId: `sha256:${tarHash.digest('hex')}` };
  }

  /** Returns docker's status for the layer: Pushed, Layer already exists, or Mounted from REPO. */
  private async uploadBlob(registry: string, repository: string, scope: string, blob: Blob, mountFrom: string[], onBytes: (n: number) => void): Promise<string> {
    const what = `blob ${blob.digest}`;
    const head = await this.client.request(registry, `/v2/${repository}/blobs/${blob.digest}`, scope, {}, { method: 'HEAD' });
    if (head.ok) return 'Layer already exists';
    for (const from of mountFrom) {
      const scopes = `${scope} repository:${from}:pull`;
      const res = await this.client.request(registry, `/v2/${repository}/blobs/uploads/?mount=${blob.digest}&from=${encodeURIComponent(from)}`, scopes, {}, { method: 'POST' });
      await res.body?.cancel();
      if (res.status === 201) return `Mounted from ${from}`;
    }
    const start = await this.client.request(registry, `/v2/${repository}/blobs/uploads/`, scope, {}, { method: 'POST' });
    await start.body?.cancel();
    const location = start.headers.get('location');
    if (start.status !== 202 || !location) throw await this.client.httpError(start, what, 'blob');
    // Monolithic: one PUT with the whole blob, streamed from its file.
    const put = await this.client.request(
      registry,
      RegistryClient.withQuery(location, { digest: blob.digest }),
      scope,
      { 'Content-Type': 'application/octet-stream', 'Content-Length': String(blob.size) },
      // fetch (undici) streams an async iterable body; the DOM's BodyInit type does not list it.
      { method: 'PUT', body: () => (blob.bytes ? new Uint8Array(blob.bytes) : (countingStream(blob.file!, onBytes) as unknown as BodyInit)) },
    );
    await put.body?.cancel();
    if (put.status !== 201) throw await this.client.httpError(put, what, 'blob');
    return 'Pushed';
  }
}

async function* countingStream(file: string, onBytes: (n: number) => void): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    total += chunk.length;
    onBytes(total);
    yield chunk;
  }
}
