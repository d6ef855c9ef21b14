/**
 * What berth may leave on a host: mounts, supervisor processes and cgroups.
 * The suite fails when any of these is left after it.
 */
import { readFileSync, readdirSync, readlinkSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './env.js';

const shimPath = path.join(repoRoot, 'build', 'Release', 'berth-shim');

export function leftoverMounts(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes('/berth-it-') || l.includes('/berth/'));
}

export function leftoverShims(): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readlinkSync(`/proc/${d}/exe`) === shimPath) pids.push(Number(d));
    } catch {
      // The process ended or is not ours to read.
    }
  }
  return pids;
}

/** Container cgroups (64-hex dirs) left below the default berth parents of this process's cgroups. */
export function leftoverCgroups(): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n')) {
    const [, controllers, rel] = line.split(':');
    if (rel === undefined || controllers === undefined) continue;
    const mount = controllers === '' ? '/sys/fs/cgroup/unified' : `/sys/fs/cgroup/${controllers.replace(/^name=/, '')}`;
    const parent = path.join(mount, rel, 'berth');
    if (!existsSync(parent)) continue;
    for (const d of readdirSync(parent)) if (/^[0-9a-f]{64}$/.test(d)) out.push(path.join(parent, d));
  }
  return out;
}

/** berth's links left on the host: container veths (vb…), user network bridges (berth-…), roots' default bridges and test bridges. */
export function leftoverLinks(): string[] {
  const r = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  if (r.status !== 0) return [];
  return r.stdout
    .split('\n')
    .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1] ?? '')
    .filter((name) => /^(vb[0-9a-f]{11}|berth-[0-9a-f]{9}|berth0x[0-9a-f]{8}|berthtest\d+)$/.test(name));
}

/** nftables tables of test roots (berth_<hash>); the default root's `berth` table is not a test's. */
export function leftoverNftTables(): string[] {
  const r = spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' });
  if (r.status !== 0) return [];
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^table ip berth_[0-9a-f]{8}$/.test(l));
}
