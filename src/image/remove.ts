/**
 * `docker rmi` and `docker image prune`: untag versus delete as docker decides it, refusing
 * an image a container uses unless forced, and removing the layers that no image and no
 * container needs any more.
 */
import { ConflictError } from '../errors.js';
import type { LayerStore } from '../storage/layer-store.js';
import { chainIds } from '../storage/chain-id.js';
import type { ImageStore } from './image-store.js';

/** What a container holds of images: enough to decide removals. */
export interface ContainerUse {
  id: string;
  image: string;
  running: boolean;
  layers: readonly string[];
}

/** One line of docker's answer: `Untagged: busybox:latest` or `Deleted: sha256:…`. */
export type RemovalLine = { Untagged: string } | { Deleted: string };

const short = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);
const isIdReference = (ref: string): boolean => /^(sha256:)?[0-9a-f]{1,64}$/.test(ref);

export class ImageRemover {
  constructor(
    private readonly images: ImageStore,
    private readonly layers: LayerStore,
    /** The containers as they are now; read under the caller's containers lock. */
    private readonly containers: () => Promise<ContainerUse[]>,
  ) {}

  /** Removes one image reference, or the image, as `docker rmi [-f] REF` does. */
  async remove(ref: string, opts: { force?: boolean } = {}): Promise<RemovalLine[]> {
    return this.images.locked(async () => {
      const { id } = await this.images.resolve(ref);
      const { tags } = await this.images.referencesTo(id);
      // A hex string is a name when such a tag exists (`docker tag X abc123` is allowed).
      const byName = !isIdReference(ref) || (await this.images.hasReference(ref));
      // A name of an image with other tags: only that name goes.
      if (byName && tags.length > 1) {
        const key = await this.images.untag(ref);
        return key ? [{ Untagged: key }] : [];
      }
      if (!byName && tags.length > 1 && !opts.force) {
        throw new ConflictError(`conflict: unable to delete ${short(id)} (must be forced) - image is referenced in multiple repositories`);
      }
      const users = (await this.containers()).filter((c) => c.image === id);
      const running = users.find((c) => c.running);
      if (running) {
        throw new ConflictError(`conflict: unable to delete ${short(id)} (cannot be forced) - image is being used by running container ${short(running.id)}`);
      }
      if (users.length > 0) {
        if (!opts.force) {
          const what = byName ? `remove repository reference ${JSON.stringify(ref)}` : `delete ${short(id)}`;
          throw new ConflictError(`conflict: unable to ${what} (must force) - container ${short(users[0]!.id)} is using its referenced image ${short(id)}`);
        }
        // Forced: the names go, the image stays (dangling) for the containers made from it.
        const lines: RemovalLine[] = [];
        const refs = await this.images.referencesTo(id);
        for (const key of [...refs.tags, ...refs.digests]) {
          if (await this.images.untag(key)) lines.push({ Untagged: key });
        }
        return lines;
      }
      return (await this.deleteImage(id)).lines;
    });
  }

  /**
   * `image prune`: dangling images (no tag), or with all every image no container uses.
   * Returns the lines and the bytes the removed layers held.
   */
  async prune(opts: { all?: boolean } = {}): Promise<{ lines: RemovalLine[]; reclaimed: number }> {
    return this.images.locked(async () => {
      const used = new Set((await this.containers()).map((c) => c.image));
      const lines: RemovalLine[] = [];
      let reclaimed = 0;
      for (const id of await this.images.allIds()) {
        if (used.has(id)) continue;
        const { tags } = await this.images.referencesTo(id);
        if (!opts.all && tags.length > 0) continue;
        const done = await this.deleteImage(id);
        lines.push(...done.lines);
        reclaimed += done.bytes;
      }
      return { lines, reclaimed };
    });
  }

  /** Called under the image lock. Returns the lines and the bytes of the layers removed. */
  private async deleteImage(id: string): Promise<{ lines: RemovalLine[]; bytes: number }> {
    const config = (await this.images.resolve(id)).config;
    const lines: RemovalLine[] = (await this.images.delete(id)).map((key) => ({ Untagged: key }));
    lines.push({ Deleted: id });
    const needed = new Set<string>();
    for (const other of await this.images.allIds()) {
      const c = await this.images.resolve(other).catch(() => undefined);
      for (const chain of c ? chainIds(c.config.rootfs.diff_ids) : []) needed.add(chain);
    }
    for (const c of await this.containers()) for (const chain of c.layers) needed.add(chain);
    let bytes = 0;
    // Top first, as docker lists the layers it deletes.
    for (const chain of chainIds(config.rootfs.diff_ids).reverse()) {
      if (needed.has(chain)) continue;
      const info = await this.layers.info(chain).catch(() => undefined);
      if (!info) continue;
      await this.layers.remove(chain);
      bytes += info.size;
      lines.push({ Deleted: chain });
    }
    return { lines, bytes };
  }
}
