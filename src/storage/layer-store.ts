/**
 * Unpacked layers, by chain id: `<root>/storage/layers/<hex>/` holds `diff/` (the
 * files, usable as an overlay lower dir) and `layer.json`. A layer is unpacked
 * into a temp dir and appears by one rename, so a layer dir is always complete;
 * two processes importing the same layer both succeed and one copy is kept.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { NotFoundError, isSystemError } from '../errors.js';
import { unpackLayer, type UnpackOptions } from '../image/unpack.js';
import { fsyncDir, readJsonFile } from '../util/atomic-file.js';
import { isOwnerTagAlive, ownerTag } from '../util/owner-tag.js';
import { assertDigest, chainId as computeChainId } from './chain-id.js';
import { originalTar } from '../image/tar-split.js';
import { layerTar, layerTarSize } from './layer-tar.js';

/** The layer's tar-split record (image/tar-split.ts), beside its diff dir. */
const TAR_SPLIT = 'tar-split.gz';

export { chainId, chainIds } from './chain-id.js';

const layerInfoSchema = z.object({
  chainId: z.string(),
  diffId: z.string(),
  parent: z.string().nullable(),
  size: z.number().int().nonnegative(),
});

export type LayerInfo = z.infer<typeof layerInfoSchema>;

/** A layer unpacked into a temp dir, not yet visible in the store. */
export interface PreparedLayer extends LayerInfo {
  readonly tmpDir: string;
}

export class LayerStore {
  readonly layersDir: string;
  readonly tmpDir: string;
  private cleaned: Promise<void> | undefined;

  constructor(readonly root: string) {
    this.layersDir = path.join(root, 'storage', 'layers');
    this.tmpDir = path.join(root, 'storage', 'tmp');
  }

  private layerDir(chainId: string): string {
    assertDigest(chainId, 'chain id');
    return path.join(this.layersDir, chainId.slice('sha256:'.length));
  }

  /** The layer's files: an overlay lower dir. */
  diffDir(chainId: string): string {
    return path.join(this.layerDir(chainId), 'diff');
  }

  /**
   * The layer as a tar: the very archive it was unpacked from where its tar-split record can
   * make it again (so save and push keep its diff_id), else one made from its files.
   */
  async tar(chainId: string): Promise<{ size: number; stream: () => AsyncGenerator<Buffer> }> {
    const diff = this.diffDir(chainId);
    const original = await originalTar(diff, path.join(this.layerDir(chainId), TAR_SPLIT));
    if (original) return original;
    return { size: await layerTarSize(diff), stream: () => layerTar(diff) };
  }

  /** Overlay lower dirs for an image's layers (given bottom first), top-most first as overlayfs wants them. */
  lowerDirs(chainIds: readonly string[]): string[] {
    return [...chainIds].reverse().map((id) => this.diffDir(id));
  }

  async has(chainId: string): Promise<boolean> {
    return (await this.read(chainId)) !== undefined;
  }

  async info(chainId: string): Promise<LayerInfo> {
    const info = await this.read(chainId);
    if (!info) throw new NotFoundError(`layer ${chainId} does not exist`);
    return info;
  }

  private read(chainId: string): Promise<LayerInfo | undefined> {
    return readJsonFile(path.join(this.layerDir(chainId), 'layer.json'), layerInfoSchema);
  }

  /** Unpacks and commits a layer; an existing copy of the same chain id is kept and the new one dropped. */
  async register(parent: string | null, source: AsyncIterable<Uint8Array>, options?: UnpackOptions): Promise<LayerInfo & { created: boolean }> {
    const prepared = await this.unpack(parent, source, options);
    const created = await this.commit(prepared);
    return { chainId: prepared.chainId, diffId: prepared.diffId, parent: prepared.parent, size: prepared.size, created };
  }

  /** Unpacks a layer on top of parent into a temp dir; commit makes it visible, discard drops it. */
  /**
   * With parentPending the parent need not be stored yet (a pull unpacks its layers side by
   * side); ImageStore.create commits them bottom first and checks the chain.
   */
  async unpack(
    parent: string | null,
    source: AsyncIterable<Uint8Array>,
    options?: UnpackOptions & { parentPending?: boolean },
  ): Promise<PreparedLayer> {
    if (parent !== null && !options?.parentPending && !(await this.has(parent))) throw new NotFoundError(`parent layer ${parent} does not exist`);
    await this.removeStaleTemp();
    const tmpDir = await this.newTempDir();
    try {
      const diff = path.join(tmpDir, 'diff');
      await mkdir(diff, { mode: 0o755 });
      const { diffId, size } = await unpackLayer(source, diff, { ...options, splitFile: path.join(tmpDir, TAR_SPLIT) });
      const info: LayerInfo = { chainId: computeChainId(parent, diffId), diffId, parent, size };
      // No fsync: layer.json only becomes visible through the rename in commit.
      await writeFile(path.join(tmpDir, 'layer.json'), JSON.stringify(info), { mode: 0o644 });
      return { ...info, tmpDir };
    } catch (err) {
      await rm(tmpDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Moves a prepared layer into place. Returns false when the store already had it (the prepared copy is dropped). */
  async commit(prepared: PreparedLayer): Promise<boolean> {
    const dest = this.layerDir(prepared.chainId);
    await mkdir(this.layersDir, { recursive: true, mode: 0o700 });
    try {
      await rename(prepared.tmpDir, dest);
    } catch (err) {
      if (isSystemError(err, 'ENOTEMPTY') || isSystemError(err, 'EEXIST')) {
        await this.discard(prepared);
        return false;
      }
      throw err;
    }
    await fsyncDir(this.layersDir);
    return true;
  }

  async discard(prepared: PreparedLayer): Promise<void> {
    await rm(prepared.tmpDir, { recursive: true, force: true });
  }

  /** Removes a layer. It disappears by one rename first, so it is never seen half-deleted. */
  async remove(chainId: string): Promise<void> {
    const dir = this.layerDir(chainId);
    const doomed = this.newTempName('removing');
    await mkdir(this.tmpDir, { recursive: true, mode: 0o700 });
    try {
      await rename(dir, doomed);
    } catch (err) {
      if (isSystemError(err, 'ENOENT')) throw new NotFoundError(`layer ${chainId} does not exist`);
      throw err;
    }
    await fsyncDir(this.layersDir);
    await rm(doomed, { recursive: true, force: true });
  }

  /** Drops temp dirs whose owning process died (a crash mid-unpack or mid-remove); live ones belong to other processes. */
  removeStaleTemp(): Promise<void> {
    this.cleaned ??= (async () => {
      let names: string[];
      try {
        names = await readdir(this.tmpDir);
      } catch (err) {
        if (isSystemError(err, 'ENOENT')) return;
        throw err;
      }
      for (const name of names) {
        const tag = name.split('-')[0] ?? '';
        if (!isOwnerTagAlive(tag)) await rm(path.join(this.tmpDir, name), { recursive: true, force: true });
      }
    })().catch((err: unknown) => {
      // A failed sweep is retried by the next caller rather than remembered.
      this.cleaned = undefined;
      throw err;
    });
    return this.cleaned;
  }

  private newTempName(suffix: string): string {
    return path.join(this.tmpDir, `${ownerTag()}-${randomBytes(6).toString('hex')}-${suffix}`);
  }

  private async newTempDir(): Promise<string> {
    await mkdir(this.tmpDir, { recursive: true, mode: 0o700 });
    const dir = this.newTempName('unpack');
    await mkdir(dir, { mode: 0o700 });
    return dir;
  }
}
