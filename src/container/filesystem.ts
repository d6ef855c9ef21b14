/**
 * A container's files from outside it: `diff`, `export` and the archive endpoints behind `cp`.
 *
 * Where the files are read or written:
 * - a running container: its pid 1's root (/proc/PID/root, identity checked), so `cp` sees
 *   and writes what its processes see, volumes included;
 * - a stopped one: an overlay of its layers made with fsmount and never attached anywhere
 *   (storage/overlay-view.ts): writes go to its upper dir through overlayfs, so copy-ups and
 *   whiteouts stay right, and the mount disappears with its fd even if berth is killed;
 * - diff and export always read the upper dir and layers themselves (export through a
 *   read-only overlay of upper + layers), which a running container may share.
 * Every path inside the container is resolved from the root fd with RESOLVE_IN_ROOT: the
 * container's symlinks (`/evil -> /`, `../../..`) resolve inside its root, as for its processes.
 */
import { closeSync, fstatSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { ContainerRecord } from './record.js';
import { InvalidArgumentError, NotFoundError, isSystemError } from '../errors.js';
import { AT, O, addon } from '../native/addon.js';
import { isAlive } from '../runtime/process-identity.js';
import { openOverlay } from '../storage/overlay-view.js';
import { treeTar } from '../storage/tree-tar.js';
import { untarInto } from '../storage/tree-untar.js';
import { openInRoot } from '../storage/resolve-in-root.js';
import { pathStat, type ContainerPathStat } from './path-stat.js';
import { upperChanges, type ContainerChange } from '../storage/upper-changes.js';

/**
 * What berth itself puts into every container's upper dir: mount points for /proc, /sys and
 * /dev, and the files its /etc/hosts, /etc/hostname and /etc/resolv.conf are bound over
 * (container/etc-files.ts). docker keeps the same in its init layer; diff and commit leave them out.
 */
const MOUNT_PLACEHOLDERS = ['proc', 'sys', 'dev', 'etc/hosts', 'etc/hostname', 'etc/resolv.conf'] as const;

function isMountPlaceholder(rel: string): boolean {
  return MOUNT_PLACEHOLDERS.some((p) => rel === p || rel.startsWith(`${p}/`));
}

/** Kernel filesystems mounted into a running container: archived as empty directories. */
const KERNEL_MOUNTS = new Set(['proc', 'sys', 'dev']);

export interface ContainerFiles {
  rec: ContainerRecord;
  /** The container's dir (upper/, work/). */
  dir: string;
  /** Its image's layer dirs, top-most first. */
  lowerDirs: readonly string[];
}

export interface ArchiveOptions {
  /** -L: a symlink at the path itself is followed (inside the container). */
  followLink?: boolean;
}

export interface ExtractOptions {
  /** -a: keep the archive's uids and gids; otherwise everything belongs to root (0:0). */
  copyUIDGID?: boolean;
  noOverwriteDirNonDir?: boolean;
}

interface RootView {
  fd: number;
  running: boolean;
}

function upperDir(c: ContainerFiles): string {
  return path.join(c.dir, 'upper');
}

/** The root of the running container's pid 1, or undefined when it does not run (any more). */
function openRunningRoot(rec: ContainerRecord): number | undefined {
  const proc = rec.Runtime.process;
  if (!rec.State.Running || !proc || !isAlive(proc)) return undefined;
  let fd: number;
  try {
    fd = addon().openat2(AT.FDCWD, `/proc/${proc.pid}/root`, O.PATH | O.DIRECTORY, 0, 0);
  } catch (err) {
    if (isSystemError(err, 'ENOENT') || isSystemError(err, 'ESRCH')) return undefined;
    throw err;
  }
  // Checked again with the fd held: a pid recycled between the checks is not the container.
  if (isAlive(proc)) return fd;
  closeSync(fd);
  return undefined;
}

/** The container's root for reading (`write` false) or writing; the caller closes fd. */
function openRoot(c: ContainerFiles, write: boolean): RootView {
  const running = openRunningRoot(c.rec);
  if (running !== undefined) return { fd: running, running: true };
  const fd = write
    ? openOverlay({ lower: c.lowerDirs, upper: { upper: upperDir(c), work: path.join(c.dir, 'work') } })
    : openOverlay({ lower: [upperDir(c), ...c.lowerDirs] });
  return { fd, running: false };
}

/** Components of a container path, '' for the root; `..` cannot climb above it (as in the container). */
function containerRel(p: string): string {
  return path.posix.normalize(`/${p}`).replace(/^\/+/, '').replace(/\/+$/, '');
}

function notFound(c: ContainerFiles, p: string): NotFoundError {
  return new NotFoundError(`Could not find the file ${p} in container ${c.rec.Name.replace(/^\//, '')}`);
}

/** Opens a container path (O_PATH), mapping the kernel's answers to docker's errors. */
function openPath(c: ContainerFiles, rootFd: number, p: string, follow: boolean): number {
  const rel = containerRel(p);
  // A trailing slash or `/.` asks for a directory, as for the container's own processes.
  const wantsDir = /\/\.?$/.test(p) && rel !== '';
  try {
    return openInRoot(rootFd, rel, { follow: follow || wantsDir, directory: wantsDir });
  } catch (err) {
    if (isSystemError(err, 'ENOENT')) throw notFound(c, p);
    if (isSystemError(err, 'ENOTDIR')) throw new InvalidArgumentError(`${p}: not a directory`);
    throw err;
  }
}

function linkTarget(fd: number, st: Stats): string {
  return st.isSymbolicLink() ? addon().readlinkat(fd, '') : '';
}

function baseName(p: string): string {
  if (/\/\.$/.test(p) || p === '.') return '.';
  const base = path.posix.basename(containerRel(p));
  return base === '' ? '/' : base;
}

/** docker's stat of a container path (HEAD /containers/{id}/archive). */
export function statPath(c: ContainerFiles, p: string): ContainerPathStat {
  const root = openRoot(c, false);
  try {
    const fd = openPath(c, root.fd, p, false);
    try {
      const st = fstatSync(fd);
      return pathStat(baseName(p), st, linkTarget(fd, st));
    } finally {
      closeSync(fd);
    }
  } finally {
    closeSync(root.fd);
  }
}

/**
 * A tar of a container path (GET /containers/{id}/archive): entries named after the path's
 * last component (`.` for `dir/.`), as docker's. The path is checked (and its stat taken) now;
 * the files are opened again when the stream starts and released when it ends or is returned,
 * so a stream never iterated holds nothing.
 */
export function archivePath(c: ContainerFiles, p: string, opts: ArchiveOptions = {}): { stat: ContainerPathStat; stream: AsyncGenerator<Buffer> } {
  const follow = opts.followLink === true;
  const open = (): { root: RootView; fd: number } => {
    const root = openRoot(c, false);
    try {
      return { root, fd: openPath(c, root.fd, p, follow) };
    } catch (err) {
      closeSync(root.fd);
      throw err;
    }
  };
  const first = open();
  let stat: ContainerPathStat;
  try {
    const st = fstatSync(first.fd);
    stat = pathStat(baseName(p), st, linkTarget(first.fd, st));
  } finally {
    closeSync(first.fd);
    closeSync(first.root.fd);
  }
  const name = stat.name === '/' ? '.' : stat.name;
  const start = containerRel(p);
  const inContainer = (rel: string): string => (start === '' ? rel : `${start}/${rel}`);
  const stream = (async function* () {
    const { root, fd } = open();
    try {
      yield* treeTar(fd, {
        name,
        ...(root.running ? { noDescend: (rel: string) => KERNEL_MOUNTS.has(inContainer(rel)) } : {}),
      });
    } finally {
      closeSync(fd);
      closeSync(root.fd);
    }
  })();
  return { stat, stream };
}

/**
 * Extracts a tar into a container directory (PUT /containers/{id}/archive). For a stopped
 * container the caller holds the container lock, so it cannot start while its upper dir is
 * mounted here.
 */
export async function extractInto(c: ContainerFiles, p: string, source: AsyncIterable<Uint8Array>, opts: ExtractOptions = {}): Promise<void> {
  const root = openRoot(c, true);
  try {
    let fd: number;
    try {
      fd = openInRoot(root.fd, containerRel(p), { follow: true });
    } catch (err) {
      if (isSystemError(err, 'ENOENT') || isSystemError(err, 'ENOTDIR')) throw notFound(c, p);
      throw err;
    }
    try {
      if (!fstatSync(fd).isDirectory()) throw new InvalidArgumentError('extraction point is not a directory');
    } finally {
      closeSync(fd);
    }
    // Each entry is resolved from the root again: what the container changes meanwhile still stays inside.
    await untarInto(root.fd, containerRel(p), source, {
      label: 'the archive',
      ...(opts.copyUIDGID ? {} : { owner: { uid: 0, gid: 0 } }),
      ...(opts.noOverwriteDirNonDir ? { noOverwriteDirNonDir: true } : {}),
    });
  } finally {
    closeSync(root.fd);
  }
}

/** `docker export`: the container's flattened filesystem (upper over its layers) as a tar; opened when iterated. */
export function exportTar(c: ContainerFiles): AsyncGenerator<Buffer> {
  return (async function* () {
    const fd = openOverlay({ lower: [upperDir(c), ...c.lowerDirs] });
    try {
      yield* treeTar(fd, { name: '' });
    } finally {
      closeSync(fd);
    }
  })();
}

/** `docker diff`: the changes of the container's upper dir against its image. */
export async function containerChanges(c: ContainerFiles): Promise<ContainerChange[]> {
  const upper = addon().openat2(AT.FDCWD, upperDir(c), O.PATH | O.DIRECTORY | O.NOFOLLOW, 0, 0);
  try {
    const image = c.lowerDirs.length > 0 ? openOverlay({ lower: c.lowerDirs }) : undefined;
    try {
      return await upperChanges(upper, image, isMountPlaceholder);
    } finally {
      if (image !== undefined) closeSync(image);
    }
  } finally {
    closeSync(upper);
  }
}

/** The upper dir as a layer tar (AUFS whiteouts), without berth's mount placeholders. */
export function upperLayerTar(c: ContainerFiles): AsyncGenerator<Buffer> {
  return (async function* () {
    const fd = addon().openat2(AT.FDCWD, upperDir(c), O.PATH | O.DIRECTORY | O.NOFOLLOW, 0, 0);
    try {
      yield* treeTar(fd, { name: '', layer: true, skip: isMountPlaceholder });
    } finally {
      closeSync(fd);
    }
  })();
}

