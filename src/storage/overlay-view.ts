/**
 * A container's filesystem as an fd, for work outside the container's own mount namespace
 * (diff, export, cp on a stopped container). The overlay is made with fsopen/fsmount and
 * never attached to any mount table: it exists only while the returned fd is open, so a
 * crash or kill -9 of the caller leaves nothing mounted and nothing to clean up.
 */
import { closeSync } from 'node:fs';
import { InternalError } from '../errors.js';
import { AT, MOUNT_ATTR, O, addon } from '../native/addon.js';

export interface OverlayLayers {
  /** Read-only layers, top-most first (LayerStore.lowerDirs order). */
  lower: readonly string[];
  /** With upper and work the view is writable: writes go to upper as the container's own do. */
  upper?: { upper: string; work: string };
}

/** An O_PATH fd of the overlay's root directory; close it to drop the mount. */
export function openOverlay(layers: OverlayLayers): number {
  const lower = layers.lower;
  if (lower.length === 0) throw new InternalError('an overlay needs at least one layer');
  for (const dir of [...lower, ...(layers.upper ? [layers.upper.upper, layers.upper.work] : [])]) {
    // overlayfs splits lowerdir at ':' and takes ',' as the next option.
    if (/[:,\\]/.test(dir)) throw new InternalError(`layer path ${JSON.stringify(dir)} cannot be given to overlayfs`);
  }
  if (!layers.upper && lower.length === 1) {
    // overlayfs wants two layers without an upper dir; one read-only layer is its own view.
    return addon().openat2(AT.FDCWD, lower[0]!, O.PATH | O.DIRECTORY | O.NOFOLLOW, 0, 0);
  }
  const ctx = addon().fsopen('overlay');
  try {
    addon().fsconfigString(ctx, 'lowerdir', lower.join(':'));
    if (layers.upper) {
      addon().fsconfigString(ctx, 'upperdir', layers.upper.upper);
      addon().fsconfigString(ctx, 'workdir', layers.upper.work);
    }
    addon().fsconfigCreate(ctx);
    const mnt = addon().fsmount(ctx, (layers.upper ? 0 : MOUNT_ATTR.RDONLY) | MOUNT_ATTR.NODEV | MOUNT_ATTR.NOSUID);
    try {
      return addon().openat2(mnt, '.', O.PATH | O.DIRECTORY, 0, 0);
    } finally {
      closeSync(mnt);
    }
  } finally {
    closeSync(ctx);
  }
}
