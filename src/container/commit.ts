/**
 * `docker commit`: the container's upper dir becomes a new layer on top of its image's,
 * and the image config is the image's with the container's settings (Cmd, Entrypoint, Env,
 * WorkingDir, User, Labels, StopSignal, Healthcheck) and the --change instructions on top,
 * plus a history entry. The layer is unpacked out of sight and the image stored in one
 * step (ImageStore.create): a failed commit leaves both stores as they were.
 */
import { applyChanges } from '../image/changes.js';
import type { ContainerConfig, ImageConfig } from '../image/config.js';
import type { ImageStore } from '../image/image-store.js';
import { normalizeTagReference } from '../image/reference.js';
import type { LayerStore } from '../storage/layer-store.js';
import { upperLayerTar, type ContainerFiles } from './filesystem.js';

export interface CommitOptions {
  /** REPO[:TAG] for the new image. */
  ref?: string;
  /** -a */
  author?: string;
  /** -m: the history entry's comment. */
  message?: string;
  /** -c: Dockerfile instructions applied to the config. */
  changes?: string[];
  /** -p (default true): freeze the container while its upper dir is read. */
  pause?: boolean;
}

/** Freezes a container and returns the function that thaws it. */
export type PauseHook = (id: string) => Promise<() => Promise<void>>;

/** The container's settings over its image's, as docker's commit merges them. */
export function committedConfig(image: ContainerConfig, c: ContainerFiles['rec']['Config']): ContainerConfig {
  const out: ContainerConfig = {
    ...image,
    User: c.User,
    Env: c.Env,
    Cmd: c.Cmd,
    Entrypoint: c.Entrypoint,
    WorkingDir: c.WorkingDir,
    Labels: c.Labels,
  };
  if (c.StopSignal !== '') out.StopSignal = c.StopSignal;
  if (c.Healthcheck) out.Healthcheck = c.Healthcheck;
  return out;
}

export async function commitContainer(
  files: ContainerFiles,
  stores: { images: ImageStore; layers: LayerStore },
  opts: CommitOptions,
  pause: PauseHook | undefined,
): Promise<string> {
  // Bad input is refused before anything is read or written.
  if (opts.ref !== undefined) normalizeTagReference(opts.ref);
  const { config: base } = await stores.images.resolve(files.rec.Image);
  const config = applyChanges(committedConfig(base.config ?? {}, files.rec.Config), opts.changes ?? []);
  const chains = files.rec.Runtime.layers;
  const parent = chains[chains.length - 1] ?? null;

  const thaw = opts.pause !== false && files.rec.State.Running && pause ? await pause(files.rec.Id) : undefined;
  let prepared;
  try {
    prepared = await stores.layers.unpack(parent, upperLayerTar(files), { label: `container ${files.rec.Id}` });
  } finally {
    await thaw?.();
  }

  const created = new Date().toISOString();
  const history = {
    created,
    created_by: [files.rec.Path, ...files.rec.Args].join(' '),
    ...(opts.author ? { author: opts.author } : {}),
    ...(opts.message ? { comment: opts.message } : {}),
  };
  let image: ImageConfig;
  try {
    image = {
      ...base,
      created,
      config,
      rootfs: { type: 'layers', diff_ids: [...base.rootfs.diff_ids, prepared.diffId] },
      history: [...(base.history ?? []), history],
    };
    if (opts.author) image.author = opts.author;
    else delete image.author;
    if (opts.message) image['comment'] = opts.message;
    else delete image['comment'];
  } catch (err) {
    await stores.layers.discard(prepared);
    throw err;
  }
  // create commits the layer with the config and tag, or discards it.
  return stores.images.create(image, [...chains, prepared], opts.ref !== undefined ? { tag: opts.ref } : {});
}
