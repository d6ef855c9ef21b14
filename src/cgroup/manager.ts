/**
 * What the v1 and v2 managers share: create by container id, and the handle operations
 * bound to the manager's filesystem.
 */
import type { CgroupFs } from './fs.js';
import { joinFiles, oomKilled, procsFiles, removeCgroup } from './handle.js';
import { setFrozen } from './freezer.js';
import { cgroupPids, readCgroupStats, type CgroupStats } from './stats.js';
import type { CgroupCreateOptions, CgroupHandle, CgroupManager, CgroupPaths, Limits } from './types.js';

export abstract class BaseCgroupManager implements CgroupManager {
  abstract readonly version: 1 | 2;

  constructor(protected readonly fs: CgroupFs) {}

  abstract resolvePaths(containerId: string, cgroupParent?: string): CgroupPaths;

  /** Creates the cgroup at paths resolvePaths gave (or a caller computed), with its limits. */
  abstract createAt(paths: CgroupPaths, limits: Limits): Promise<CgroupHandle>;

  abstract update(handle: CgroupHandle, limits: Limits): Promise<void>;

  /** The handle of the container's cgroup at paths, whether or not it exists. */
  abstract handleAt(paths: CgroupPaths): CgroupHandle;

  handleFor(containerId: string, cgroupParent?: string): CgroupHandle {
    return this.handleAt(this.resolvePaths(containerId, cgroupParent));
  }

  create(containerId: string, options: CgroupCreateOptions): Promise<CgroupHandle> {
    const { parent, ...limits } = options;
    return this.createAt(this.resolvePaths(containerId, parent), limits);
  }

  procsFiles(handle: CgroupHandle): string[] {
    return procsFiles(handle);
  }

  joinFiles(handle: CgroupHandle): { procs: string[]; tasks: string[] } {
    return joinFiles(handle);
  }

  oomKilled(handle: CgroupHandle): Promise<boolean> {
    return oomKilled(handle, this.fs);
  }

  remove(handle: CgroupHandle): Promise<void> {
    return removeCgroup(handle, this.fs);
  }

  setFrozen(handle: CgroupHandle, frozen: boolean): Promise<void> {
    return setFrozen(handle, frozen, this.fs);
  }

  stats(handle: CgroupHandle): Promise<CgroupStats> {
    return readCgroupStats(handle, this.fs);
  }

  pids(handle: CgroupHandle): Promise<number[]> {
    return cgroupPids(handle, this.fs);
  }
}
