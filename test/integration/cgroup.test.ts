/**
 * The cgroup manager on this machine's real cgroups: a container cgroup below the
 * engine's own, with real limits, created and removed without leaving anything.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { cgroupDirs, createCgroupManager, probeCgroupLayout, procsFiles, type CgroupHandle } from '../../src/cgroup/index.js';
import { isSystemError } from '../../src/errors.js';
import { isRoot } from '../helpers/env.js';

function skipReason(): string | undefined {
  if (!isRoot) return 'creating cgroups needs root';
  if (!existsSync('/sys/fs/cgroup')) return '/sys/fs/cgroup is not mounted';
  return undefined;
}
const reason = skipReason();
if (reason) process.stderr.write(`SKIPPED cgroup manager on the real host: ${reason}\n`);

const read = (dir: string, file: string) => readFileSync(path.join(dir, file), 'utf8').trim();

/** The handle's directory in the hierarchy holding a controller. */
function dirFor(handle: CgroupHandle, controller: string): string | undefined {
  if (handle.version === 2) return handle.dir;
  const key = Object.keys(handle.dirs).find((k) => k.split(',').includes(controller));
  return key === undefined ? undefined : handle.dirs[key];
}

describe.skipIf(reason !== undefined)('cgroup manager on the real host', () => {
  const manager = reason === undefined ? createCgroupManager() : undefined;
  const id = randomBytes(32).toString('hex');
  let leftover: CgroupHandle | undefined;
  /** Parents (<own>/berth) this test made, to remove after it if no one else uses them. */
  let newParents: string[] = [];

  afterAll(async () => {
    if (leftover) await manager?.remove(leftover);
    for (const dir of newParents) {
      try {
        rmdirSync(dir);
      } catch (err) {
        // Another test file may have a container below the same parent right now.
        if (!isSystemError(err, 'EBUSY') && !isSystemError(err, 'ENOENT')) throw err;
      }
    }
  });

  it("creates a cgroup with memory and pids limits below the engine's own, and removes it", async () => {
    if (!manager) return;
    const paths = manager.resolvePaths(id);
    const own = readFileSync('/proc/self/cgroup', 'utf8');
    for (const rel of Object.values(paths)) {
      expect(rel.endsWith(`/berth/${id}`)).toBe(true);
      // Below the engine's own cgroup: the parent of berth/ is a path /proc/self/cgroup names.
      expect(own).toContain(`:${path.posix.dirname(path.posix.dirname(rel))}\n`);
    }
    const layout = probeCgroupLayout();
    const mountpoints: Record<string, string> =
      layout.version === 2 ? { '': layout.mountpoint } : Object.fromEntries(layout.hierarchies.map((h) => [h.key, h.mountpoint]));
    newParents = Object.entries(paths)
      .map(([key, rel]) => path.join(mountpoints[key] ?? '/nonexistent', path.posix.dirname(rel)))
      .filter((dir) => !existsSync(dir));

    const handle = await manager.create(id, { memory: 32 << 20, pidsLimit: 20 });
    leftover = handle;
    const dirs = cgroupDirs(handle);
    for (const dir of dirs) expect(existsSync(dir)).toBe(true);
    // Nothing is moved in: joining is the supervisor's job.
    for (const file of procsFiles(handle)) expect(readFileSync(file, 'utf8')).toBe('');

    const memory = dirFor(handle, 'memory');
    const pids = dirFor(handle, 'pids');
    expect(memory).toBeDefined();
    expect(pids).toBeDefined();
    if (handle.version === 1) {
      expect(read(memory ?? '', 'memory.limit_in_bytes')).toBe(String(32 << 20));
      if (existsSync(path.join(memory ?? '', 'memory.memsw.limit_in_bytes'))) {
        expect(read(memory ?? '', 'memory.memsw.limit_in_bytes')).toBe(String(64 << 20));
      }
      const devices = dirFor(handle, 'devices');
      if (devices) {
        const list = read(devices, 'devices.list').split('\n');
        expect(list).toContain('c 1:3 rwm');
        expect(list).toContain('c 136:* rwm');
        expect(list).not.toContain('a *:* rwm');
      }
      const cpuset = dirFor(handle, 'cpuset');
      if (cpuset) {
        expect(read(cpuset, 'cpuset.cpus')).not.toBe('');
        expect(read(cpuset, 'cpuset.mems')).not.toBe('');
      }
    } else {
      expect(read(memory ?? '', 'memory.max')).toBe(String(32 << 20));
    }
    expect(read(pids ?? '', 'pids.max')).toBe('20');
    expect(await manager.oomKilled(handle)).toBe(false);

    await manager.remove(handle);
    leftover = undefined;
    for (const dir of dirs) expect(existsSync(dir)).toBe(false);
  });
});
