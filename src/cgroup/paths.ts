/**
 * Where container cgroups go, and creating their directories as one undoable step.
 */
import path from 'node:path';
import { BerthError, ConflictError, InvalidArgumentError, errorMessage, isSystemError } from '../errors.js';
import { cgroupError, type CgroupFs } from './fs.js';

const posix = path.posix;

/** The parent docker's cgroupfs driver would call /docker; below the engine's own cgroup. */
export const DEFAULT_PARENT = 'berth';

const containerIdPattern = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * The container's cgroup path from the hierarchy root, given the engine's own cgroup in
 * that hierarchy. See CgroupManager.resolvePaths for the rules.
 */
export function containerCgroupPath(ownPath: string, containerId: string, cgroupParent?: string): string {
  if (!containerIdPattern.test(containerId)) {
    throw new InvalidArgumentError(`invalid container id for a cgroup name: ${JSON.stringify(containerId)}`);
  }
  const parentOption = cgroupParent === undefined || cgroupParent === '' ? DEFAULT_PARENT : cgroupParent;
  if (parentOption.includes('\0')) throw new InvalidArgumentError('cgroup parent must not contain NUL bytes');
  let parent: string;
  if (parentOption.startsWith('/')) {
    parent = posix.normalize(parentOption);
  } else {
    // "Relative" promises a place below the engine's own cgroup; '..' would break that.
    const rel = posix.normalize(parentOption);
    if (rel === '.' || rel === '..' || rel.startsWith('../')) {
      throw new InvalidArgumentError(
        `cgroup parent ${JSON.stringify(cgroupParent)} must name a cgroup below the engine's own; use an absolute path to go elsewhere`,
      );
    }
    parent = posix.join(ownPath, rel);
  }
  const full = posix.join(parent, containerId);
  assertBelowRoot(full, cgroupParent);
  return full;
}

/**
 * Refuses a container cgroup directly at a hierarchy root: its limits would sit beside
 * every other process's, and on v2 the root's children are where systemd places slices.
 */
export function assertBelowRoot(containerPath: string, cgroupParent?: string): void {
  const normal = posix.normalize(containerPath);
  if (!normal.startsWith('/') || normal !== containerPath.replace(/\/+$/, '') || normal === '/') {
    throw new InvalidArgumentError(`invalid cgroup path ${JSON.stringify(containerPath)}: it must be absolute and normalised`);
  }
  if (posix.dirname(normal) === '/') {
    const what = cgroupParent === undefined ? 'the parent' : `cgroup parent ${JSON.stringify(cgroupParent)}`;
    throw new InvalidArgumentError(
      `${what} is a cgroup hierarchy root ('/'): a container's cgroup must go below a parent cgroup, not at the root`,
    );
  }
}

/** One directory on the way from a hierarchy's mountpoint to a container's cgroup. */
export interface ChainDir {
  dir: string;
  /** Whether this create made it (then it is known to be empty and without settings). */
  created: boolean;
}

/**
 * Collects the directories one create makes, so that a failure removes exactly those,
 * deepest first, and nothing that existed before.
 */
export class CgroupDirTransaction {
  private readonly created: string[] = [];

  constructor(private readonly fs: CgroupFs) {}

  /**
   * Makes mountpoint + relPath and its missing ancestors. Returns every directory below
   * the mountpoint, top first. The last one (the container's) is always new.
   */
  async mkdirChain(mountpoint: string, relPath: string): Promise<ChainDir[]> {
    const parts = relPath.split('/').filter((p) => p !== '');
    const dirs = parts.map((_, i) => posix.join(mountpoint, ...parts.slice(0, i + 1)));
    const leaf = dirs.at(-1);
    if (leaf === undefined) return [];
    const created = new Set<string>();
    // Usually the parents exist (every container after the first): try the leaf alone first.
    let made = await this.tryMkdir(leaf, { missingParent: true });
    if (made === 'missing-parent') {
      for (const dir of dirs.slice(0, -1)) if ((await this.tryMkdir(dir)) === true) created.add(dir);
      made = await this.tryMkdir(leaf);
    }
    if (made === false) {
      await this.removeStale(leaf);
      made = await this.tryMkdir(leaf);
      if (made !== true) throw new ConflictError(`cgroup ${leaf} was created by someone else meanwhile`);
    }
    created.add(leaf);
    this.created.push(...dirs.filter((d) => created.has(d)));
    return dirs.map((dir) => ({ dir, created: created.has(dir) }));
  }

  /** true: made; false: it existed; 'missing-parent' only when asked to report that instead of failing. */
  private async tryMkdir(dir: string, opts: { missingParent?: boolean } = {}): Promise<boolean | 'missing-parent'> {
    try {
      await this.fs.mkdir(dir);
      return true;
    } catch (err) {
      if (isSystemError(err, 'EEXIST')) return false;
      if (opts.missingParent && isSystemError(err, 'ENOENT')) return 'missing-parent';
      throw cgroupError(`cannot create ${dir}`, err);
    }
  }

  /**
   * A container's cgroup that exists already was left by a run whose cleanup never
   * happened (a crash, a kill -9): starting the container again must not fail for it.
   * cgroupfs refuses to remove one that still has processes, which is the answer to
   * "is it still in use?".
   */
  private async removeStale(dir: string): Promise<void> {
    try {
      await this.fs.rmdir(dir);
    } catch (err) {
      if (isSystemError(err, 'ENOENT')) return;
      if (isSystemError(err, 'EBUSY')) {
        throw new ConflictError(`cgroup ${dir} exists and is in use: is the container still running?`, { cause: err });
      }
      throw cgroupError(`cannot remove the stale cgroup ${dir}`, err);
    }
  }

  /**
   * Removes what this transaction made. A shared parent (such as <own>/berth) may have
   * gained another container's cgroup meanwhile; it stays, busy, and that is right.
   */
  async rollback(): Promise<void> {
    // One directory that cannot go must not keep the others (other hierarchies) around.
    let firstFailure: BerthError | undefined;
    for (const dir of this.created.reverse()) {
      try {
        await this.fs.rmdir(dir);
      } catch (err) {
        if (!isSystemError(err, 'ENOENT') && !isSystemError(err, 'EBUSY') && !isSystemError(err, 'ENOTEMPTY')) {
          firstFailure ??= cgroupError(`cannot remove ${dir} while undoing a failed create`, err);
        }
      }
    }
    this.created.length = 0;
    if (firstFailure) throw firstFailure;
  }
}

/**
 * Runs create's steps; on any failure removes what they made and rethrows the original
 * error. Should the undoing fail too, the error keeps the original's kind and names
 * both, so the leftover directory is not a silent leak.
 */
export async function withRollback<T>(fs: CgroupFs, steps: (tx: CgroupDirTransaction) => Promise<T>): Promise<T> {
  const tx = new CgroupDirTransaction(fs);
  try {
    return await steps(tx);
  } catch (err) {
    try {
      await tx.rollback();
    } catch (rollbackErr) {
      const kind = err instanceof BerthError ? err.kind : 'Internal';
      throw new BerthError(kind, `${errorMessage(err)}; undoing the create failed too: ${errorMessage(rollbackErr)}`, {
        cause: err,
      });
    }
    throw err;
  }
}
