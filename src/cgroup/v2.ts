/**
 * The cgroup v2 manager: one unified hierarchy, where a controller works in a cgroup
 * only when every ancestor lists it in cgroup.subtree_control.
 */
import path from 'node:path';
import { ConflictError, InvalidArgumentError, isSystemError } from '../errors.js';
import { cgroupError, hasCgroupFile, hostCgroupFs, readCgroupFile, writeCgroupFile, type CgroupFs } from './fs.js';
import { CPU_PERIOD_US, MAX_CPU_SHARES, normalizeLimits, requiredControllers, type CgroupLimits } from './limits.js';
import { assertBelowRoot, containerCgroupPath, withRollback, type ChainDir } from './paths.js';
import type { CgroupV2Layout } from './probe.js';
import { BaseCgroupManager } from './manager.js';
import type { CgroupHandle, CgroupPaths, CgroupV2Handle, Limits } from './types.js';

/** Enabled for every container when available, as docker does, so stats and OOM events exist without limits. */
export const V2_CONTROLLERS = ['cpu', 'cpuset', 'io', 'memory', 'pids'];

/** Where the engine's own processes move when its cgroup must become an inner node. */
export const INIT_LEAF = 'init';

/** runc's mapping from v1 cpu.shares (2..262144) onto v2 cpu.weight (1..10000). */
export function cpuWeightFromShares(shares: number): number {
  return 1 + Math.floor(((Math.min(shares, MAX_CPU_SHARES) - 2) * 9999) / 262_142);
}

function words(text: string): string[] {
  return text.split(/\s+/).filter((w) => w !== '');
}

export class CgroupV2Manager extends BaseCgroupManager {
  override readonly version = 2;

  constructor(
    private readonly layout: CgroupV2Layout,
    fs: CgroupFs = hostCgroupFs,
  ) {
    super(fs);
  }

  resolvePaths(containerId: string, cgroupParent?: string): CgroupPaths {
    return { '': containerCgroupPath(this.layout.ownPath, containerId, cgroupParent) };
  }

  async createAt(paths: CgroupPaths, limits: Limits): Promise<CgroupHandle> {
    const normal = normalizeLimits(limits);
    const rel = paths[''];
    if (rel === undefined) throw new InvalidArgumentError('no cgroup path given for the unified (v2) hierarchy');
    assertBelowRoot(rel);

    return withRollback(this.fs, async (tx) => {
      const chain = await tx.mkdirChain(this.layout.mountpoint, rel);
      const leaf = chain.at(-1);
      if (!leaf) throw new InvalidArgumentError('empty cgroup path');
      await this.enableControllers(chain, requiredControllers(normal));
      const handle: CgroupV2Handle = { version: 2, dir: leaf.dir };
      await this.applyLimits(leaf.dir, normal);
      return handle;
    });
  }

  /**
   * Walks from the root to the container's parent, enabling in each cgroup.subtree_control
   * the controllers its own cgroup.controllers offers. What a cgroup offers is exactly
   * what its parent enabled, so only the root's list is read.
   */
  private async enableControllers(chain: ChainDir[], required: string[]): Promise<void> {
    const root = this.layout.mountpoint;
    let available = words(await readCgroupFile(this.fs, root, 'cgroup.controllers'));
    const inner: ChainDir[] = [{ dir: root, created: false }, ...chain.slice(0, -1)];
    for (const { dir, created } of inner) {
      for (const c of required) {
        if (!available.includes(c)) {
          throw new InvalidArgumentError(`the ${c} cgroup controller is not available in ${dir}: cannot apply the ${c} limit`);
        }
      }
      const enabled = created ? [] : words(await readCgroupFile(this.fs, dir, 'cgroup.subtree_control'));
      const missing = V2_CONTROLLERS.filter((c) => available.includes(c) && !enabled.includes(c));
      if (missing.length > 0) await this.enableIn(dir, missing);
      available = [...enabled, ...missing];
    }
  }

  private async enableIn(dir: string, controllers: string[]): Promise<void> {
    const value = controllers.map((c) => `+${c}`).join(' ');
    const ownDir = path.posix.join(this.layout.mountpoint, this.layout.ownPath);
    // New processes may join the engine's cgroup while its members move out; a few rounds settle it.
    for (let round = 0; ; round++) {
      try {
        await this.fs.writeFile(path.posix.join(dir, 'cgroup.subtree_control'), value);
        return;
      } catch (err) {
        // "No internal processes": a non-root cgroup with processes cannot hand
        // controllers to children. The engine's own cgroup may be such a one.
        if (!isSystemError(err, 'EBUSY')) throw cgroupError(`cannot write ${JSON.stringify(value)} to ${dir}/cgroup.subtree_control`, err);
        if (dir !== ownDir || round >= 3) {
          throw new ConflictError(
            `cgroup: cannot enable ${controllers.join(', ')} in ${dir}: it has processes of its own, and cgroup v2 gives controllers only to cgroups without processes`,
            { cause: err },
          );
        }
        await this.evacuateOwnCgroup(ownDir);
      }
    }
  }

  /** Moves every process of the engine's cgroup into a leaf below it, as docker-in-docker's entrypoint does. */
  private async evacuateOwnCgroup(ownDir: string): Promise<void> {
    const leaf = path.posix.join(ownDir, INIT_LEAF);
    try {
      await this.fs.mkdir(leaf);
    } catch (err) {
      if (!isSystemError(err, 'EEXIST')) throw cgroupError(`cannot create ${leaf}`, err);
    }
    for (const pid of words(await readCgroupFile(this.fs, ownDir, 'cgroup.procs'))) {
      try {
        await this.fs.writeFile(path.posix.join(leaf, 'cgroup.procs'), pid);
      } catch (err) {
        // The process exited between listing and moving: nothing left to move.
        if (!isSystemError(err, 'ESRCH')) throw cgroupError(`cannot move process ${pid} into ${leaf}`, err);
      }
    }
  }

  handleAt(paths: CgroupPaths): CgroupHandle {
    return { version: 2, dir: path.posix.join(this.layout.mountpoint, paths[''] ?? '') };
  }

  async update(handle: CgroupHandle, limits: Limits): Promise<void> {
    if (handle.version !== 2) throw new InvalidArgumentError('a cgroup v1 handle given to the cgroup v2 manager');
    const normal = normalizeLimits(limits);
    const available = words(await readCgroupFile(this.fs, handle.dir, 'cgroup.controllers'));
    for (const c of requiredControllers(normal)) {
      if (!available.includes(c)) throw new InvalidArgumentError(`the ${c} cgroup controller is not available in ${handle.dir}: cannot apply the ${c} limit`);
    }
    await this.applyLimits(handle.dir, normal);
    // In an update, a pids limit of 0 or less lifts the limit; at create it is simply not written.
    if (limits.pidsLimit !== undefined && limits.pidsLimit <= 0) await writeCgroupFile(this.fs, handle.dir, 'pids.max', 'max');
  }

  private async applyLimits(dir: string, limits: CgroupLimits): Promise<void> {
    if (limits.memoryBytes !== undefined) {
      await writeCgroupFile(this.fs, dir, 'memory.max', String(limits.memoryBytes));
      // v2 counts swap apart from memory: swap = memory gives docker's memory+swap = 2×.
      // The file exists only with swap accounting.
      if (await hasCgroupFile(this.fs, dir, 'memory.swap.max')) {
        await writeCgroupFile(this.fs, dir, 'memory.swap.max', String(limits.memoryBytes));
      }
    }
    if (limits.cpuQuotaUs !== undefined) {
      await writeCgroupFile(this.fs, dir, 'cpu.max', `${limits.cpuQuotaUs} ${CPU_PERIOD_US}`);
    }
    if (limits.cpuShares !== undefined) {
      await writeCgroupFile(this.fs, dir, 'cpu.weight', String(cpuWeightFromShares(limits.cpuShares)));
    }
    if (limits.pidsMax !== undefined) {
      await writeCgroupFile(this.fs, dir, 'pids.max', String(limits.pidsMax));
    }
  }
}
