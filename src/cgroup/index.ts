/**
 * berth's cgroup managers: the factory that picks v1 or v2 by probing the host, and the
 * functions that work on a created cgroup's handle.
 */
import { hostCgroupFs, type CgroupFs } from './fs.js';
import { probeCgroupLayout, type CgroupLayout, type ProbeSources } from './probe.js';
import type { CgroupManager } from './types.js';
import { CgroupV1Manager } from './v1.js';
import { CgroupV2Manager } from './v2.js';

export type { CgroupCreateOptions, CgroupHandle, CgroupManager, CgroupPaths, CgroupV1Handle, CgroupV2Handle, Limits } from './types.js';
export type { CgroupFs } from './fs.js';
export type { CgroupLayout, CgroupV1Layout, CgroupV2Layout, ProbeSources, V1Hierarchy } from './probe.js';
export { parseCgroupLayout, probeCgroupLayout } from './probe.js';
export { cgroupDirs, cgroupHandleSchema, joinFiles, oomKilled, procsFiles, removeCgroup } from './handle.js';
export { CgroupV1Manager } from './v1.js';
export { CgroupV2Manager } from './v2.js';

export function cgroupManagerFor(layout: CgroupLayout, fs: CgroupFs = hostCgroupFs): CgroupManager {
  return layout.version === 2 ? new CgroupV2Manager(layout, fs) : new CgroupV1Manager(layout, fs);
}

/** The manager for this host, chosen from /proc/self/mountinfo and /proc/self/cgroup (or the given files). */
export function createCgroupManager(sources: ProbeSources = {}, fs: CgroupFs = hostCgroupFs): CgroupManager {
  return cgroupManagerFor(probeCgroupLayout(sources), fs);
}
