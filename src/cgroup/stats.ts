/**
 * What `berth stats` and `berth top` read of a running container's cgroup: CPU time, memory,
 * pids, block I/O and the member processes, from v1 or v2 interface files.
 */
import { hostCgroupFs, type CgroupFs } from './fs.js';
import { cgroupDirs, controllerDir, flatKeyed } from './handle.js';
import type { CgroupHandle } from './types.js';
import { isSystemError } from '../errors.js';

export interface CgroupStats {
  /** CPU time used by the container's processes, in ns. */
  cpuNs: number;
  /** Memory charged to the container, in bytes (page cache included). */
  memoryUsage: number;
  /** Inactive file cache, which docker's CLI subtracts from the usage it shows. */
  memoryInactiveFile: number;
  /** The memory limit in bytes; undefined when there is none. */
  memoryLimit: number | undefined;
  pids: number;
  blkioRead: number;
  blkioWrite: number;
}

/** A file's text, or undefined when the controller or file is not there (the stat is then 0). */
async function read(fs: CgroupFs, dir: string | undefined, name: string): Promise<string | undefined> {
  if (dir === undefined) return undefined;
  try {
    return await fs.readFile(`${dir}/${name}`);
  } catch (err) {
    if (isSystemError(err, 'ENOENT')) return undefined;
    throw err;
  }
}

const num = (text: string | undefined): number => {
  const n = Number(text?.trim());
  return Number.isFinite(n) ? n : 0;
};

/** v1 limits above this are the kernel's "unlimited" (PAGE_COUNTER_MAX pages). */
const V1_UNLIMITED = 2 ** 62;

export async function readCgroupStats(handle: CgroupHandle, fs: CgroupFs = hostCgroupFs): Promise<CgroupStats> {
  if (handle.version === 2) {
    const dir = handle.dir;
    const memStat = (await read(fs, dir, 'memory.stat')) ?? '';
    const max = (await read(fs, dir, 'memory.max'))?.trim();
    let read_ = 0;
    let write = 0;
    for (const line of ((await read(fs, dir, 'io.stat')) ?? '').split('\n')) {
      read_ += Number(/\brbytes=(\d+)/.exec(line)?.[1] ?? 0);
      write += Number(/\bwbytes=(\d+)/.exec(line)?.[1] ?? 0);
    }
    return {
      cpuNs: (flatKeyed((await read(fs, dir, 'cpu.stat')) ?? '', 'usage_usec') ?? 0) * 1000,
      memoryUsage: num(await read(fs, dir, 'memory.current')),
      memoryInactiveFile: flatKeyed(memStat, 'inactive_file') ?? 0,
      memoryLimit: max === undefined || max === 'max' ? undefined : Number(max),
      pids: num(await read(fs, dir, 'pids.current')),
      blkioRead: read_,
      blkioWrite: write,
    };
  }
  const memory = controllerDir(handle, 'memory');
  const memStat = (await read(fs, memory, 'memory.stat')) ?? '';
  const limit = num(await read(fs, memory, 'memory.limit_in_bytes'));
  let blkRead = 0;
  let blkWrite = 0;
  const blkio = controllerDir(handle, 'blkio');
  const io = (await read(fs, blkio, 'blkio.throttle.io_service_bytes_recursive')) ?? (await read(fs, blkio, 'blkio.throttle.io_service_bytes')) ?? '';
  for (const line of io.split('\n')) {
    const [, op, value] = line.trim().split(/\s+/);
    if (op === 'Read') blkRead += Number(value);
    if (op === 'Write') blkWrite += Number(value);
  }
  return {
    cpuNs: num(await read(fs, controllerDir(handle, 'cpuacct'), 'cpuacct.usage')),
    memoryUsage: num(await read(fs, memory, 'memory.usage_in_bytes')),
    memoryInactiveFile: flatKeyed(memStat, 'total_inactive_file') ?? 0,
    memoryLimit: limit === 0 || limit >= V1_UNLIMITED ? undefined : limit,
    pids: num(await read(fs, controllerDir(handle, 'pids'), 'pids.current')),
    blkioRead: blkRead,
    blkioWrite: blkWrite,
  };
}

/** Host pids of every process in the container's cgroup (its own and those it forked). */
export async function cgroupPids(handle: CgroupHandle, fs: CgroupFs = hostCgroupFs): Promise<number[]> {
  const pids = new Set<number>();
  const dirs = handle.version === 2 ? [handle.dir] : [controllerDir(handle, 'pids') ?? cgroupDirs(handle)[0]!];
  for (const dir of dirs) {
    const stack = [dir];
    while (stack.length > 0) {
      const d = stack.pop()!;
      for (const p of ((await read(fs, d, 'cgroup.procs')) ?? '').split('\n')) if (p.trim() !== '') pids.add(Number(p));
      stack.push(...(await fs.listDirs(d).catch(() => [])).map((s) => `${d}/${s}`));
    }
  }
  return [...pids].sort((a, b) => a - b);
}
