/**
 * The one interface berth's cgroup managers (v1 and v2) share, and the plain data
 * that passes between them and the engine.
 */
import type { CgroupStats } from './stats.js';

/** Resource limits of one container. Zero or absent means "no limit" for every number. */
export interface Limits {
  /** Memory limit in bytes; swap is allowed as much again (docker's default MemorySwap = 2×). */
  memory?: number;
  /** CPU quota in units of 1e-9 CPUs (docker's NanoCpus). */
  nanoCpus?: number;
  /** Relative CPU weight (docker's CpuShares, 2..262144). */
  cpuShares?: number;
  /** Maximum number of processes; zero or negative means no limit, as docker. */
  pidsLimit?: number;
  /** Privileged containers keep their parent's device access instead of docker's allowlist. */
  privileged?: boolean;
}

/**
 * Where a container's cgroup goes: for each hierarchy, its path from that hierarchy's
 * root ('/process_api/ab12/berth/<id>'). Keys name hierarchies as /proc/self/cgroup
 * does: 'memory', 'cpu,cpuacct', and '' for the cgroup v2 unified hierarchy.
 */
export type CgroupPaths = Record<string, string>;

/**
 * A created cgroup, as the engine stores it in the container record: plain JSON, so the
 * handle functions (procsFiles, oomKilled, removeCgroup) work after a restart without
 * probing again.
 */
export type CgroupHandle = CgroupV1Handle | CgroupV2Handle;

export interface CgroupV1Handle {
  version: 1;
  /** Hierarchy key ('memory', 'cpu,cpuacct') → absolute directory of the container's cgroup. */
  dirs: Record<string, string>;
}

export interface CgroupV2Handle {
  version: 2;
  /** Absolute directory of the container's cgroup. */
  dir: string;
}

/** What create takes: the limits and where to put the cgroup. */
export interface CgroupCreateOptions extends Limits {
  /**
   * docker's --cgroup-parent. Absent or '': '<the engine's own cgroup>/berth'. Absolute
   * ('/foo'): from each hierarchy's root. Relative ('foo'): below the engine's own cgroup.
   */
  parent?: string;
}

export interface CgroupManager {
  readonly version: 1 | 2;
  /**
   * The container's cgroup path in every hierarchy this manager joins (see
   * CgroupCreateOptions.parent). A parent that is a hierarchy root is refused.
   */
  resolvePaths(containerId: string, cgroupParent?: string): CgroupPaths;
  /**
   * Creates the container's cgroup with its limits. All or nothing: on failure every
   * directory this call created is removed again. A cgroup of the same container left
   * by a crash is replaced; one that still has processes is a ConflictError.
   */
  create(containerId: string, options: CgroupCreateOptions): Promise<CgroupHandle>;
  /** The handle of the container's cgroup where create puts it, whether or not it exists (for cleanup after a crash). */
  handleFor(containerId: string, cgroupParent?: string): CgroupHandle;
  /** The cgroup.procs files the container's first process is written into. */
  procsFiles(handle: CgroupHandle): string[];
  /** The files the container's first process is put into its cgroup through (see handle.ts joinFiles). */
  joinFiles(handle: CgroupHandle): { procs: string[]; tasks: string[] };
  /** Whether the kernel OOM-killed a process of the container. */
  oomKilled(handle: CgroupHandle): Promise<boolean>;
  /** Removes the container's cgroup, waiting briefly for exiting processes to leave. */
  remove(handle: CgroupHandle): Promise<void>;
  /** Changes the limits of a container's cgroup (`docker update`); only the limits given are written. */
  update(handle: CgroupHandle, limits: Limits): Promise<void>;
  /** Freezes (pause) or thaws (unpause) the container's processes, waiting until the kernel is done. */
  setFrozen(handle: CgroupHandle, frozen: boolean): Promise<void>;
  /** CPU, memory, pids and block I/O counters of the container. */
  stats(handle: CgroupHandle): Promise<CgroupStats>;
  /** Host pids of every process in the container's cgroup. */
  pids(handle: CgroupHandle): Promise<number[]>;
}
