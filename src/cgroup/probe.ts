/**
 * Learns how this host's cgroups are laid out from /proc/self/mountinfo and
 * /proc/self/cgroup: a unified v2 hierarchy, or v1 hierarchies (possibly beside a
 * cgroup2 mount that holds only leftovers, the "hybrid" layout), and where the engine's
 * own cgroup is in each.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UnavailableError } from '../errors.js';

export interface V1Hierarchy {
  /** Its name in /proc/self/cgroup: 'memory', 'cpu,cpuacct', 'name=systemd'. */
  key: string;
  controllers: string[];
  /** Where it is mounted; the directory that stands for its root. */
  mountpoint: string;
  /** The engine's own cgroup, as a path below the mountpoint ('/process_api/ab12'). */
  ownPath: string;
}

export interface CgroupV1Layout {
  version: 1;
  hierarchies: V1Hierarchy[];
}

export interface CgroupV2Layout {
  version: 2;
  mountpoint: string;
  /** The engine's own cgroup, as a path below the mountpoint. */
  ownPath: string;
}

export type CgroupLayout = CgroupV1Layout | CgroupV2Layout;

interface CgroupMount {
  fstype: 'cgroup' | 'cgroup2';
  /** The cgroup the mount shows as its top (not '/' when a container's cgroup was bind-mounted). */
  root: string;
  mountpoint: string;
  superOptions: string[];
}

interface SelfCgroup {
  key: string;
  controllers: string[];
  path: string;
}

/** mountinfo escapes space, tab, newline and backslash as octal (\040). */
function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    const sep = fields.indexOf('-');
    if (sep < 6) continue;
    const fstype = fields[sep + 1];
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    mounts.push({
      fstype,
      root: unescapeMountinfo(fields[3] ?? '/'),
      mountpoint: unescapeMountinfo(fields[4] ?? ''),
      superOptions: (fields[sep + 3] ?? '').split(','),
    });
  }
  return mounts;
}

export function parseSelfCgroup(text: string): SelfCgroup[] {
  const out: SelfCgroup[] = [];
  for (const line of text.split('\n')) {
    // The path may itself contain ':', so only the first two separate fields.
    const m = /^\d+:([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    const key = m[1] ?? '';
    out.push({ key, controllers: key === '' ? [] : key.split(','), path: m[2] ?? '/' });
  }
  return out;
}

/**
 * The engine's cgroup as seen below a mount: a mount of a sub-cgroup (docker's
 * bind-mounted /sys/fs/cgroup without a cgroup namespace) shows `root` at its top.
 */
function pathBelowMount(mount: CgroupMount, cgroupPath: string): string | undefined {
  const rel = path.posix.relative(mount.root, cgroupPath);
  if (rel.startsWith('..') || path.posix.isAbsolute(rel)) return undefined;
  return rel === '' ? '/' : `/${rel}`;
}

function findMount(mounts: CgroupMount[], own: SelfCgroup, match: (m: CgroupMount) => boolean): { mount: CgroupMount; ownPath: string } | undefined {
  for (const mount of mounts) {
    if (!match(mount)) continue;
    const ownPath = pathBelowMount(mount, own.path);
    if (ownPath !== undefined) return { mount, ownPath };
  }
  return undefined;
}

/**
 * v1 wins whenever a v1 hierarchy with a real controller is mounted: on a hybrid host
 * the cgroup2 mount holds what v1 does not (hugetlb here), never memory or cpu.
 */
export function parseCgroupLayout(mountinfo: string, selfCgroup: string): CgroupLayout {
  const mounts = parseCgroupMounts(mountinfo);
  const own = parseSelfCgroup(selfCgroup);

  const hierarchies: V1Hierarchy[] = [];
  for (const entry of own) {
    if (entry.key === '') continue;
    const found = findMount(
      mounts,
      entry,
      (m) => m.fstype === 'cgroup' && entry.controllers.every((c) => m.superOptions.includes(c)),
    );
    if (found) {
      hierarchies.push({ key: entry.key, controllers: entry.controllers, mountpoint: found.mount.mountpoint, ownPath: found.ownPath });
    }
  }
  if (hierarchies.some((h) => h.controllers.some((c) => !c.startsWith('name=')))) {
    return { version: 1, hierarchies };
  }

  const unified = own.find((e) => e.key === '');
  if (unified) {
    const found = findMount(mounts, unified, (m) => m.fstype === 'cgroup2');
    if (found) return { version: 2, mountpoint: found.mount.mountpoint, ownPath: found.ownPath };
  }
  throw new UnavailableError('no usable cgroup hierarchy is mounted (neither cgroup v1 controllers nor cgroup v2)');
}

export interface ProbeSources {
  mountinfoPath?: string;
  selfCgroupPath?: string;
}

/**
 * Reads the layout of the calling process. Synchronous: two small /proc files, read once
 * when the engine first needs cgroups.
 */
export function probeCgroupLayout(sources: ProbeSources = {}): CgroupLayout {
  return parseCgroupLayout(
    readFileSync(sources.mountinfoPath ?? '/proc/self/mountinfo', 'utf8'),
    readFileSync(sources.selfCgroupPath ?? '/proc/self/cgroup', 'utf8'),
  );
}
