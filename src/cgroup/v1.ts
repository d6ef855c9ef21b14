/**
 * The cgroup v1 manager: one directory per hierarchy, each hierarchy mounted on its own.
 * On this project's hosts v1 is the one that holds memory, cpu and pids (the cgroup2
 * mount beside it holds only hugetlb).
 */
import path from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import { hasCgroupFile, hostCgroupFs, readCgroupFile, writeCgroupFile, type CgroupFs } from './fs.js';
import { CPU_PERIOD_US, normalizeLimits, requiredControllers, type CgroupLimits } from './limits.js';
import { assertBelowRoot, containerCgroupPath, withRollback, type ChainDir } from './paths.js';
import type { CgroupV1Layout, V1Hierarchy } from './probe.js';
import { BaseCgroupManager } from './manager.js';
import type { CgroupHandle, CgroupPaths, CgroupV1Handle, Limits } from './types.js';

/**
 * The hierarchies a container joins when mounted: those with limits, plus cpuacct and
 * blkio for accounting and freezer so that pause works.
 */
export const V1_JOINED_CONTROLLERS = ['memory', 'cpu', 'cpuacct', 'pids', 'cpuset', 'devices', 'freezer', 'blkio'];

/**
 * docker's default device cgroup rules for an unprivileged container: nothing but mknod
 * in general, and read/write only for the pseudo-devices every program expects.
 */
export const DEFAULT_DEVICE_RULES = [
  'c *:* m',
  'b *:* m',
  'c 1:3 rwm', // /dev/null
  'c 1:5 rwm', // /dev/zero
  'c 1:7 rwm', // /dev/full
  'c 1:8 rwm', // /dev/random
  'c 1:9 rwm', // /dev/urandom
  'c 5:0 rwm', // /dev/tty
  'c 5:1 rwm', // /dev/console
  'c 5:2 rwm', // /dev/ptmx
  'c 136:* rwm', // /dev/pts/*
  'c 10:200 rwm', // /dev/net/tun
];

export class CgroupV1Manager extends BaseCgroupManager {
  override readonly version = 1;
  private readonly hierarchies: V1Hierarchy[];

  constructor(layout: CgroupV1Layout, fs: CgroupFs = hostCgroupFs) {
    super(fs);
    this.hierarchies = layout.hierarchies.filter((h) => h.controllers.some((c) => V1_JOINED_CONTROLLERS.includes(c)));
  }

  resolvePaths(containerId: string, cgroupParent?: string): CgroupPaths {
    const paths: CgroupPaths = {};
    for (const h of this.hierarchies) paths[h.key] = containerCgroupPath(h.ownPath, containerId, cgroupParent);
    return paths;
  }

  async createAt(paths: CgroupPaths, limits: Limits): Promise<CgroupHandle> {
    const normal = this.checked(normalizeLimits(limits));
    for (const h of this.hierarchies) {
      const rel = paths[h.key];
      if (rel === undefined) throw new InvalidArgumentError(`no cgroup path given for the ${h.key} hierarchy`);
      assertBelowRoot(rel);
    }

    return withRollback(this.fs, async (tx) => {
      const handle: CgroupV1Handle = { version: 1, dirs: {} };
      for (const h of this.hierarchies) {
        const chain = await tx.mkdirChain(h.mountpoint, paths[h.key] ?? '');
        const leaf = chain.at(-1);
        if (!leaf) throw new InvalidArgumentError(`empty cgroup path for the ${h.key} hierarchy`);
        handle.dirs[h.key] = leaf.dir;
        // A new cpuset cgroup starts with no cpus and no mems, and no task can join it so.
        if (h.controllers.includes('cpuset')) await this.inheritCpuset(h.mountpoint, chain);
      }
      await this.applyLimits(handle, normal);
      await this.applyDeviceRules(handle, normal.privileged);
      return handle;
    });
  }

  /** Refuses limits whose controller this host does not mount. */
  private checked(limits: CgroupLimits): CgroupLimits {
    for (const controller of requiredControllers(limits)) {
      if (!this.hierarchy(controller)) {
        throw new InvalidArgumentError(`the ${controller} cgroup controller is not mounted on this host: cannot apply the ${controller} limit`);
      }
    }
    return limits;
  }

  private hierarchy(controller: string): V1Hierarchy | undefined {
    return this.hierarchies.find((h) => h.controllers.includes(controller));
  }

  private dirFor(handle: CgroupV1Handle, controller: string): { dir: string } | undefined {
    const h = this.hierarchy(controller);
    const dir = h && handle.dirs[h.key];
    return dir ? { dir } : undefined;
  }

  /** Copies cpuset.cpus and cpuset.mems down the chain into every directory that has none. */
  private async inheritCpuset(mountpoint: string, chain: ChainDir[]): Promise<void> {
    let parent = mountpoint;
    for (const { dir, created } of chain) {
      for (const file of ['cpuset.cpus', 'cpuset.mems']) {
        const own = created ? '' : (await readCgroupFile(this.fs, dir, file)).trim();
        if (own === '') {
          const inherited = (await readCgroupFile(this.fs, parent, file)).trim();
          await writeCgroupFile(this.fs, dir, file, inherited);
        }
      }
      parent = dir;
    }
  }

  private async applyLimits(handle: CgroupV1Handle, limits: CgroupLimits): Promise<void> {
    const memory = this.dirFor(handle, 'memory');
    if (memory && limits.memoryBytes !== undefined) {
      // memsw exists only with swap accounting; it counts memory plus swap, so 2× allows
      // as much swap as memory, docker's default for a container with only -m.
      const memsw = (await hasCgroupFile(this.fs, memory.dir, 'memory.memsw.limit_in_bytes')) ? String(2 * limits.memoryBytes) : undefined;
      const current = Number((await readCgroupFile(this.fs, memory.dir, 'memory.limit_in_bytes')).trim());
      // The kernel keeps memory ≤ memsw at every step: raising moves memsw first, lowering memory first.
      if (memsw !== undefined && limits.memoryBytes > current) await writeCgroupFile(this.fs, memory.dir, 'memory.memsw.limit_in_bytes', memsw);
      await writeCgroupFile(this.fs, memory.dir, 'memory.limit_in_bytes', String(limits.memoryBytes));
      if (memsw !== undefined && limits.memoryBytes <= current) await writeCgroupFile(this.fs, memory.dir, 'memory.memsw.limit_in_bytes', memsw);
    }

    const cpu = this.dirFor(handle, 'cpu');
    if (cpu && limits.cpuQuotaUs !== undefined) {
      await writeCgroupFile(this.fs, cpu.dir, 'cpu.cfs_period_us', String(CPU_PERIOD_US));
      await writeCgroupFile(this.fs, cpu.dir, 'cpu.cfs_quota_us', String(limits.cpuQuotaUs));
    }
    if (cpu && limits.cpuShares !== undefined) {
      await writeCgroupFile(this.fs, cpu.dir, 'cpu.shares', String(limits.cpuShares));
    }

    const pids = this.dirFor(handle, 'pids');
    if (pids && limits.pidsMax !== undefined) {
      await writeCgroupFile(this.fs, pids.dir, 'pids.max', String(limits.pidsMax));
    }

  }

  handleAt(paths: CgroupPaths): CgroupHandle {
    const handle: CgroupV1Handle = { version: 1, dirs: {} };
    for (const h of this.hierarchies) {
      const rel = paths[h.key];
      if (rel !== undefined) handle.dirs[h.key] = path.posix.join(h.mountpoint, rel);
    }
    return handle;
  }

  async update(handle: CgroupHandle, limits: Limits): Promise<void> {
    if (handle.version !== 1) throw new InvalidArgumentError('a cgroup v2 handle given to the cgroup v1 manager');
    await this.applyLimits(handle, this.checked(normalizeLimits(limits)));
    // In an update, a pids limit of 0 or less lifts the limit; at create it is simply not written.
    const pids = this.dirFor(handle, 'pids');
    if (pids && limits.pidsLimit !== undefined && limits.pidsLimit <= 0) await writeCgroupFile(this.fs, pids.dir, 'pids.max', 'max');
  }

  private async applyDeviceRules(handle: CgroupV1Handle, privileged: boolean): Promise<void> {
    // A new devices cgroup copies its parent's list; privileged containers keep that.
    const devices = this.dirFor(handle, 'devices');
    if (devices && !privileged) {
      await writeCgroupFile(this.fs, devices.dir, 'devices.deny', 'a');
      for (const rule of DEFAULT_DEVICE_RULES) await writeCgroupFile(this.fs, devices.dir, 'devices.allow', rule);
    }
  }
}

