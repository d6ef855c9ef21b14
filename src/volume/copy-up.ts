/**
 * docker's copy-up: a new, empty volume mounted where the image has a directory is first
 * filled with that directory's content, owners and modes kept. The image is read through an
 * overlay of its layers that is never attached to a mount table (storage/overlay-view.ts).
 */
import { closeSync, fstatSync, readdirSync } from 'node:fs';
import { AT, O, addon } from '../native/addon.js';
import { isSystemError } from '../errors.js';
import { openOverlay } from '../storage/overlay-view.js';
import { openInRoot } from '../storage/resolve-in-root.js';
import { treeTar } from '../storage/tree-tar.js';
import { untarInto } from '../storage/tree-untar.js';

/** Copies the image's directory at target into volumeDir when volumeDir is empty; a non-empty volume is left alone. */
export async function copyImageContent(lowerDirs: readonly string[], target: string, volumeDir: string): Promise<void> {
  if (lowerDirs.length === 0 || readdirSync(volumeDir).length > 0) return;
  const root = openOverlay({ lower: lowerDirs });
  try {
    let src: number;
    try {
      src = openInRoot(root, target.replace(/^\/+/, ''), { follow: true, directory: true });
    } catch (err) {
      // Nothing (or no directory) there in the image: nothing to copy.
      if (isSystemError(err, 'ENOENT') || isSystemError(err, 'ENOTDIR')) return;
      throw err;
    }
    const dest = addon().openat2(AT.FDCWD, volumeDir, O.PATH | O.DIRECTORY | O.NOFOLLOW, 0, 0);
    try {
      await untarInto(dest, '', treeTar(src, { name: '' }), { label: `the image's ${target}` });
      // The volume's root takes the image directory's owner and mode, as docker's copy does.
      const st = fstatSync(src);
      addon().fchownat(dest, '', st.uid, st.gid, AT.EMPTY_PATH);
      addon().fchmodat(dest, st.mode & 0o7777);
    } finally {
      closeSync(dest);
      closeSync(src);
    }
  } finally {
    closeSync(root);
  }
}
