/**
 * One sample of a container's resource use, the raw counters `docker stats` computes its
 * columns from: CPU time against the host's, memory against the limit (or the host's memory),
 * pids, and network and block I/O.
 */
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import type { CgroupStats } from '../cgroup/stats.js';
import type { ContainerRecord } from './record.js';

export interface ContainerStats {
  id: string;
  name: string;
  /** When the sample was taken (ISO 8601). */
  read: string;
  /** CPU time of the container's processes, ns. */
  cpuNs: number;
  /** CPU time of the whole host (all CPUs, all states), ns. */
  systemCpuNs: number;
  onlineCpus: number;
  /** Memory in use without the inactive file cache, as docker's CLI shows it. */
  memoryUsage: number;
  /** The container's memory limit, or the host's memory when it has none. */
  memoryLimit: number;
  pids: number;
  netRx: number;
  netTx: number;
  blkRead: number;
  blkWrite: number;
}

/** USER_HZ: the unit of /proc/stat, 100 on every Linux architecture berth runs on. */
const NS_PER_TICK = 1e9 / 100;

function hostCpu(): { systemCpuNs: number; onlineCpus: number } {
  const stat = readFileSync('/proc/stat', 'utf8');
  const lines = stat.split('\n');
  const total = (lines[0] ?? '')
    .split(/\s+/)
    .slice(1)
    .reduce((sum, v) => sum + (Number(v) || 0), 0);
  return { systemCpuNs: total * NS_PER_TICK, onlineCpus: lines.filter((l) => /^cpu\d+ /.test(l)).length };
}

/** Bytes received and sent on the container's interfaces but loopback, read through its pid's network namespace. */
function network(pid: number): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/net/dev`, 'utf8');
  } catch {
    return { rx, tx };
  }
  for (const line of text.split('\n').slice(2)) {
    const [name, counters] = line.split(':');
    if (counters === undefined || name?.trim() === 'lo') continue;
    const f = counters.trim().split(/\s+/).map(Number);
    rx += f[0] ?? 0;
    tx += f[8] ?? 0;
  }
  return { rx, tx };
}

export function sampleStats(rec: ContainerRecord, cg: CgroupStats | undefined, pid: number | undefined): ContainerStats {
  const host = hostCpu();
  const net = pid === undefined ? { rx: 0, tx: 0 } : network(pid);
  return {
    id: rec.Id,
    name: rec.Name.replace(/^\//, ''),
    read: new Date().toISOString(),
    cpuNs: cg?.cpuNs ?? 0,
    systemCpuNs: host.systemCpuNs,
    onlineCpus: host.onlineCpus,
    memoryUsage: cg ? Math.max(0, cg.memoryUsage - cg.memoryInactiveFile) : 0,
    memoryLimit: Math.min(cg?.memoryLimit ?? Infinity, totalmem()),
    pids: cg?.pids ?? 0,
    netRx: net.rx,
    netTx: net.tx,
    blkRead: cg?.blkioRead ?? 0,
    blkWrite: cg?.blkioWrite ?? 0,
  };
}
