/**
 * `docker diff` from a container's upper dir: a whiteout (char device 0/0) or an opaque
 * directory that hides something of the image is a deletion, an entry the image has too is
 * a change, any other an addition; every directory above a change shows as changed, and a
 * directory copied up only because something below it changed is not a change of its own.
 * Walked through fds (storage/tree-tar.ts) so a running container cannot redirect the walk.
 */
import { closeSync, fstatSync, type Stats } from 'node:fs';
import { isSystemError } from '../errors.js';
import { O, RESOLVE, addon } from '../native/addon.js';
import { isOpaqueDir, isWhiteout, listDir, openChild } from './tree-tar.js';

/** The Engine API's FilesystemChange: Kind 0 modified, 1 added, 2 deleted. */
export interface ContainerChange {
  Path: string;
  Kind: 0 | 1 | 2;
}

export const CHANGE_KIND_LETTER = ['C', 'A', 'D'] as const;

/** The image's own entry at rel (no symlink followed on the way), or undefined. */
function imageStat(imageFd: number | undefined, rel: string): Stats | undefined {
  if (imageFd === undefined) return undefined;
  let fd: number;
  try {
    fd = addon().openat2(imageFd, rel, O.PATH | O.NOFOLLOW, 0, RESOLVE.BENEATH | RESOLVE.NO_SYMLINKS | RESOLVE.NO_MAGICLINKS);
  } catch (err) {
    if (isSystemError(err, 'ENOENT') || isSystemError(err, 'ENOTDIR') || isSystemError(err, 'ELOOP')) return undefined;
    throw err;
  }
  try {
    return fstatSync(fd);
  } finally {
    closeSync(fd);
  }
}

export async function upperChanges(upperFd: number, imageFd: number | undefined, skip: (rel: string) => boolean): Promise<ContainerChange[]> {
  const changes = new Map<string, ContainerChange['Kind']>();
  const record = (rel: string, kind: ContainerChange['Kind']): void => {
    changes.set(rel, kind);
  };
  const walk = async (dirFd: number, dirRel: string): Promise<void> => {
    for (const name of await listDir(dirFd)) {
      const rel = dirRel === '' ? name : `${dirRel}/${name}`;
      if (skip(rel)) continue;
      let fd: number;
      try {
        fd = openChild(dirFd, name);
      } catch (err) {
        if (isSystemError(err, 'ENOENT')) continue;
        throw err;
      }
      try {
        const st = fstatSync(fd);
        const below = imageStat(imageFd, rel);
        if (isWhiteout(st)) {
          if (below) record(rel, 2);
          continue;
        }
        if (st.isDirectory()) {
          if (isOpaqueDir(fd) && below) record(rel, 2);
          else if (!below) record(rel, 1);
          else if (!below.isDirectory() || below.mode !== st.mode || below.uid !== st.uid || below.gid !== st.gid) record(rel, 0);
          await walk(fd, rel);
          continue;
        }
        record(rel, below ? 0 : 1);
      } finally {
        closeSync(fd);
      }
    }
  };
  await walk(upperFd, '');
  for (const rel of [...changes.keys()]) {
    for (let i = rel.lastIndexOf('/'); i > 0; i = rel.lastIndexOf('/', i - 1)) {
      const parent = rel.slice(0, i);
      if (!changes.has(parent)) changes.set(parent, 0);
    }
  }
  return [...changes]
    .map(([rel, Kind]) => ({ Path: `/${rel}`, Kind }))
    .sort((a, b) => Buffer.compare(Buffer.from(a.Path), Buffer.from(b.Path)));
}
