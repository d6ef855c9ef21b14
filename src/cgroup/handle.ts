/**
 * What the engine does with a created cgroup, given only the handle stored in the
 * container record: where to put the container's pid, whether the OOM killer struck,
 * and removing it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { z } from 'zod';
import { isSystemError } from '../errors.js';
import { cgroupError, hostCgroupFs, type CgroupFs } from './fs.js';
import type { CgroupHandle } from './types.js';

/** A handle as read back from a container record on disk. */
export const cgroupHandleSchema: z.ZodType<CgroupHandle> = z.discriminatedUnion('version', [
  z.object({ version: z.literal(1), dirs: z.record(z.string().startsWith('/')) }).strict(),
  z.object({ version: z.literal(2), dir: z.string().startsWith('/') }).strict(),
]);

/** Every directory of the container's cgroup, one per hierarchy. */
export function cgroupDirs(handle: CgroupHandle): string[] {
  if (handle.version === 2) return [handle.dir];
  return [...new Set(Object.values(handle.dirs))];
}

/** The cgroup.procs files the container's first process is written into. */
export function procsFiles(handle: CgroupHandle): string[] {
  return cgroupDirs(handle).map((dir) => path.posix.join(dir, 'cgroup.procs'));
}

/**
 * Where the container's first process joins its cgroup. On v1 it writes 0 (itself) into each
 * `tasks` file: moving one thread of a single-threaded process skips the kernel's global
 * threadgroup lock, whose RCU sync makes every cgroup.procs write cost several milliseconds.
 * v2 has no such file for a domain cgroup: the shim writes the pid into cgroup.procs.
 */
export function joinFiles(handle: CgroupHandle): { procs: string[]; tasks: string[] } {
  if (handle.version === 2) return { procs: procsFiles(handle), tasks: [] };
  return { procs: [], tasks: cgroupDirs(handle).map((dir) => path.posix.join(dir, 'tasks')) };
}

/** Reads "key value" lines as v1's memory.oom_control and v2's memory.events have them. */
/** A value of a flat-keyed cgroup file (`key value` lines). */
export function flatKeyed(text: string, key: string): number | undefined {
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k === key && v !== undefined) return Number(v);
  }
  return undefined;
}

/** The container's directory in the hierarchy holding a controller (v2: its one directory). */
export function controllerDir(handle: CgroupHandle, controller: string): string | undefined {
  if (handle.version === 2) return handle.dir;
  const key = Object.keys(handle.dirs).find((k) => k.split(',').includes(controller));
  return key === undefined ? undefined : handle.dirs[key];
}


/**
 * Whether the kernel OOM-killed a process of the container. A cgroup already gone, or
 * without the memory controller, has no record and answers false.
 */
export async function oomKilled(handle: CgroupHandle, fs: CgroupFs = hostCgroupFs): Promise<boolean> {
  const dir = controllerDir(handle, 'memory');
  if (dir === undefined) return false;
  const file = path.posix.join(dir, handle.version === 2 ? 'memory.events' : 'memory.oom_control');
  let text: string;
  try {
    text = await fs.readFile(file);
  } catch (err) {
    if (isSystemError(err, 'ENOENT')) return false;
    throw cgroupError(`cannot read ${file}`, err);
  }
  // v1 kernels before 4.13 have no oom_kill line in memory.oom_control: no record, false.
  return (flatKeyed(text, 'oom_kill') ?? 0) > 0;
}

/**
 * A cgroup can be removed only once its processes have left, and an exiting process
 * lingers for a moment after its parent saw it die: retry for about a second.
 */
const REMOVE_DELAYS_MS = [10, 20, 40, 80, 160, 320, 640];

async function listSubdirs(dir: string, fs: CgroupFs): Promise<string[]> {
  try {
    return await fs.listDirs(dir);
  } catch (err) {
    if (isSystemError(err, 'ENOENT')) return [];
    throw cgroupError(`cannot list ${dir}`, err);
  }
}

/** Removes one cgroup and, first, any cgroups the container made below it (it may, with a cgroup namespace). */
async function removeTree(dir: string, fs: CgroupFs): Promise<void> {
  for (const sub of await listSubdirs(dir, fs)) await removeTree(path.posix.join(dir, sub), fs);
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.rmdir(dir);
      return;
    } catch (err) {
      if (isSystemError(err, 'ENOENT')) return;
      const delay = REMOVE_DELAYS_MS[attempt];
      if (!isSystemError(err, 'EBUSY') || delay === undefined) throw cgroupError(`cannot remove ${dir}`, err);
      await sleep(delay);
    }
  }
}

/** Removes the container's cgroup in every hierarchy; one already gone is fine. */
export async function removeCgroup(handle: CgroupHandle, fs: CgroupFs = hostCgroupFs): Promise<void> {
  for (const dir of cgroupDirs(handle)) await removeTree(dir, fs);
}
