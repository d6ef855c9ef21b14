/**
 * Image records: each config stored byte-exact under its digest
 * (`<root>/image/configs/sha256/<hex>`; the image id is that digest) and the tags
 * in `<root>/image/repositories.json`. Every change is written atomically and made
 * under the image lock, so CLI processes and the daemon never lose each other's tags.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { access, mkdir, readFile, readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { InternalError, InvalidArgumentError, NotFoundError, isSystemError } from '../errors.js';
import { LayerStore, type PreparedLayer } from '../storage/layer-store.js';
import { chainIds } from '../storage/chain-id.js';
import { readJsonFile, removeStaleTempFiles, writeFileAtomic } from '../util/atomic-file.js';
import { withLock } from '../util/lock.js';
import { parseImageConfig, parseImageConfigBytes, type ImageConfig } from './config.js';
import { imageInspect, type ImageInspect } from './inspect.js';
import { normalizeReference, normalizeTagReference, parseReference } from './reference.js';

export interface ResolvedImage {
  /** `sha256:<hex>` of the config bytes. */
  id: string;
  config: ImageConfig;
}

/** One row of `images`, shaped as the Docker Engine API's ImageSummary. */
export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  /** Seconds since the epoch. */
  Created: number;
  Size: number;
  SharedSize: number;
  Labels: Record<string, string>;
  Containers: number;
}

/** A layer for create: prepared by LayerStore.unpack (committed by create), or the chain id of one already stored. */
export type ImageLayer = PreparedLayer | string;

const repositoriesSchema = z.record(z.string(), z.string().regex(/^sha256:[0-9a-f]{64}$/));
type Repositories = z.infer<typeof repositoriesSchema>;

const FULL_ID = /^(?:sha256:)?([0-9a-f]{64})$/;
const ID_PREFIX = /^(?:sha256:)?([0-9a-f]{1,63})$/;

export class ImageStore {
  readonly dir: string;
  private readonly configsDir: string;
  private readonly repositoriesFile: string;
  private readonly lockFile: string;
  private swept = false;
  /** Configs this process read and verified against their digest, by image id. */
  private readonly verified = new Map<string, ImageConfig>();

  constructor(
    readonly root: string,
    readonly layers: LayerStore = new LayerStore(root),
  ) {
    this.dir = path.join(root, 'image');
    this.configsDir = path.join(this.dir, 'configs', 'sha256');
    this.repositoriesFile = path.join(this.dir, 'repositories.json');
    this.lockFile = path.join(this.dir, 'lock');
  }

  /** Runs fn holding the image lock (reentrant within fn). */
  async locked<T>(fn: () => Promise<T>): Promise<T> {
    return withLock(this.lockFile, async () => {
      if (!this.swept) {
        await removeStaleTempFiles(this.dir);
        await removeStaleTempFiles(this.configsDir);
        this.swept = true;
      }
      return fn();
    });
  }

  /** Finds an image by `name[:tag]`, full id, or unique id prefix (names win over prefixes, as in docker). */
  async resolve(ref: string): Promise<ResolvedImage> {
    const full = FULL_ID.exec(ref);
    if (full) return this.byId(`sha256:${full[1]}`, ref);
    let refError: unknown;
    try {
      const id = (await this.repositories())[repositoryKey(ref)];
      if (id !== undefined) return await this.byId(id, ref);
    } catch (err) {
      if (!(err instanceof InvalidArgumentError)) throw err;
      refError = err;
    }
    const prefix = ID_PREFIX.exec(ref);
    if (prefix) {
      const matches = (await this.ids()).filter((id) => id.startsWith(`sha256:${prefix[1]}`));
      if (matches.length > 1) throw new InvalidArgumentError(`multiple images found with provided prefix: ${ref}`);
      if (matches[0] !== undefined) return this.byId(matches[0], ref);
    }
    if (refError !== undefined) throw refError;
    throw new NotFoundError(`No such image: ${ref}`);
  }

  async list(): Promise<ImageSummary[]> {
    const repos = await this.repositories();
    const tagsOf = new Map<string, string[]>();
    const digestsOf = new Map<string, string[]>();
    for (const [key, id] of Object.entries(repos)) {
      const into = key.includes('@') ? digestsOf : tagsOf;
      into.set(id, [...(into.get(id) ?? []), key]);
    }
    const out: ImageSummary[] = [];
    for (const id of await this.ids()) {
      let config: ImageConfig;
      try {
        config = (await this.byId(id, id)).config;
      } catch (err) {
        // Removed by another process between readdir and read.
        if (err instanceof NotFoundError) continue;
        throw err;
      }
      out.push({
        Id: id,
        ParentId: '',
        RepoTags: (tagsOf.get(id) ?? []).sort(),
        RepoDigests: (digestsOf.get(id) ?? []).sort(),
        Created: config.created ? Math.floor(Date.parse(config.created) / 1000) || 0 : 0,
        Size: await this.size(config),
        SharedSize: -1,
        Labels: config.config?.Labels ?? {},
        Containers: -1,
      });
    }
    return out.sort((a, b) => b.Created - a.Created || a.Id.localeCompare(b.Id));
  }

  /** The image as `docker image inspect` shows it. */
  async inspect(ref: string): Promise<ImageInspect> {
    const { id, config } = await this.resolve(ref);
    const keys = Object.entries(await this.repositories())
      .filter(([, target]) => target === id)
      .map(([key]) => key)
      .sort();
    return imageInspect({
      id,
      config,
      repoTags: keys.filter((k) => !k.includes('@')),
      repoDigests: keys.filter((k) => k.includes('@')),
      size: await this.size(config),
      lowerDirs: this.layers.lowerDirs(chainIds(config.rootfs.diff_ids)),
    });
  }

  /** Points ref (`name[:tag]`) at the image source resolves to; returns the normalised ref. */
  async tag(source: string, ref: string): Promise<string> {
    const target = normalizeTagReference(ref);
    return this.locked(async () => {
      const { id } = await this.resolve(source);
      await this.setTag(target, id);
      return target;
    });
  }

  /**
   * Stores an image: commits its prepared layers, writes its config and, with
   * options.tag, tags it, all under the lock. If any step fails, nothing this call
   * added stays (layers that were already stored are kept). Returns the image id.
   * A config given as bytes is stored as is (its digest is the id); an object is
   * validated and serialised.
   */
  async create(config: ImageConfig | Uint8Array, layers: readonly ImageLayer[], options: { tag?: string; repoDigest?: string } = {}): Promise<string> {
    const prepared = layers.filter((l): l is PreparedLayer => typeof l !== 'string');
    try {
      const bytes = config instanceof Uint8Array ? Buffer.from(config) : Buffer.from(JSON.stringify(parseImageConfig(config)));
      const parsed = parseImageConfigBytes(bytes);
      const target = options.tag === undefined ? undefined : normalizeTagReference(options.tag);
      this.checkLayers(parsed, layers);
      const id = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      return await this.locked(async () => {
        const committed: string[] = [];
        try {
          for (const layer of layers) {
            if (typeof layer === 'string') {
              if (!(await this.layers.has(layer))) throw new NotFoundError(`layer ${layer} does not exist`);
            } else if (await this.layers.commit(layer)) {
              committed.push(layer.chainId);
            }
          }
          const file = this.configFile(id);
          const existed = await exists(file);
          if (!existed) {
            await mkdir(this.configsDir, { recursive: true, mode: 0o700 });
            await writeFileAtomic(file, bytes, 0o600);
          }
          try {
            if (target !== undefined) await this.setTag(target, id);
            if (options.repoDigest !== undefined) await this.setTag(repositoryKey(options.repoDigest), id);
          } catch (err) {
            if (!existed) await unlink(file).catch(() => undefined);
            throw err;
          }
          return id;
        } catch (err) {
          for (const chainId of committed.reverse()) await this.layers.remove(chainId).catch(() => undefined);
          throw err;
        }
      });
    } finally {
      // Prepared layers that were not committed (a failure, or a copy the store already had) go away.
      for (const layer of prepared) await this.layers.discard(layer);
    }
  }

  private checkLayers(config: ImageConfig, layers: readonly ImageLayer[]): void {
    const expected = chainIds(config.rootfs.diff_ids);
    if (layers.length !== expected.length) {
      throw new InvalidArgumentError(`image config lists ${expected.length} layers, but ${layers.length} were given`);
    }
    layers.forEach((layer, i) => {
      const chainId = typeof layer === 'string' ? layer : layer.chainId;
      const parent = typeof layer === 'string' ? undefined : layer.parent;
      if (chainId !== expected[i] || (parent !== undefined && parent !== (expected[i - 1] ?? null))) {
        throw new InvalidArgumentError(`layer ${i} (${chainId}) does not match the image config's rootfs.diff_ids`);
      }
    });
  }

  private configFile(id: string): string {
    return path.join(this.configsDir, id.slice('sha256:'.length));
  }

  /** The config exactly as stored (its sha256 is the image id): what save and push write out. */
  async configBytes(id: string, ref: string = id): Promise<Buffer> {
    const bytes = await readFile(this.configFile(id)).catch((err: unknown) => {
      if (isSystemError(err, 'ENOENT')) throw new NotFoundError(`No such image: ${ref}`);
      throw err;
    });
    if (`sha256:${createHash('sha256').update(bytes).digest('hex')}` !== id) {
      throw new InternalError(`image ${id} is corrupt: its config does not match its digest`);
    }
    return bytes;
  }

  /** Removes one `name:tag` or `name@digest`; returns the key removed, or undefined when there was none. Called under the lock. */
  async untag(ref: string): Promise<string | undefined> {
    const key = repositoryKey(ref);
    const repos = await this.repositories();
    if (repos[key] === undefined) return undefined;
    delete repos[key];
    await writeFileAtomic(this.repositoriesFile, JSON.stringify(repos), 0o600);
    return key;
  }

  /**
   * Deletes an image: every reference to it and its config. Its layers stay (the caller
   * removes those no other image or container needs). Called under the lock.
   */
  async delete(id: string): Promise<string[]> {
    const repos = await this.repositories();
    const removed = Object.keys(repos).filter((k) => repos[k] === id);
    for (const k of removed) delete repos[k];
    if (removed.length > 0) await writeFileAtomic(this.repositoriesFile, JSON.stringify(repos), 0o600);
    await unlink(this.configFile(id)).catch((err: unknown) => {
      if (!isSystemError(err, 'ENOENT')) throw err;
    });
    this.verified.delete(id);
    return removed.sort();
  }

  /** Whether ref is a stored `name:tag` or `name@digest` (not an id). */
  async hasReference(ref: string): Promise<boolean> {
    try {
      return (await this.repositories())[repositoryKey(ref)] !== undefined;
    } catch {
      return false;
    }
  }

  /** Records `name@digest` for an image (a push gave it that digest). Called under the lock. */
  async addRepoDigest(ref: string, id: string): Promise<void> {
    await this.setTag(repositoryKey(ref), id);
  }

  /** The ids of every stored image. */
  async allIds(): Promise<string[]> {
    return this.ids();
  }

  /** Every `name:tag` and `name@digest` pointing at the image. */
  async referencesTo(id: string): Promise<{ tags: string[]; digests: string[] }> {
    const keys = Object.entries(await this.repositories())
      .filter(([, target]) => target === id)
      .map(([key]) => key)
      .sort();
    return { tags: keys.filter((k) => !k.includes('@')), digests: keys.filter((k) => k.includes('@')) };
  }

  private async byId(id: string, ref: string): Promise<ResolvedImage> {
    // A config is named by its digest: once read and verified, it cannot change, only go away.
    const known = this.verified.get(id);
    if (known && existsSync(this.configFile(id))) return { id, config: structuredClone(known) };
    const bytes = await this.configBytes(id, ref);
    const config = parseImageConfigBytes(bytes, `config of image ${id}`);
    this.verified.set(id, structuredClone(config));
    return { id, config };
  }

  private async ids(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.configsDir);
    } catch (err) {
      if (isSystemError(err, 'ENOENT')) return [];
      throw err;
    }
    return names.filter((n) => /^[0-9a-f]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }

  private async repositories(): Promise<Repositories> {
    return (await readJsonFile(this.repositoriesFile, repositoriesSchema)) ?? {};
  }

  /** Called under the lock. */
  private async setTag(ref: string, id: string): Promise<void> {
    const repos = await this.repositories();
    if (repos[ref] === id) return;
    repos[ref] = id;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.repositoriesFile, JSON.stringify(repos), 0o600);
  }

  private async size(config: ImageConfig): Promise<number> {
    let total = 0;
    for (const chainId of chainIds(config.rootfs.diff_ids)) {
      total += (await this.layers.info(chainId).catch(() => undefined))?.size ?? 0;
    }
    return total;
  }
}

/**
 * The key of a reference in repositories.json: `name:tag`, or `name@digest` for one with a
 * digest (a digest names the content; a tag written beside it is ignored, as docker does).
 */
function repositoryKey(ref: string): string {
  const parsed = parseReference(ref);
  return parsed.digest !== undefined ? `${parsed.name}@${parsed.digest}` : normalizeReference(ref);
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch (err) {
    if (isSystemError(err, 'ENOENT')) return false;
    throw err;
  }
}
