/**
 * The cgroup v1 manager on a fake of this host's hybrid layout: one temp dir per
 * hierarchy, filled by FakeCgroupFs as cgroupfs would.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cgroupHandleSchema, oomKilled, procsFiles, removeCgroup, type CgroupHandle, type Limits } from '../../src/cgroup/index.js';
import type { CgroupV1Layout } from '../../src/cgroup/probe.js';
import { CgroupV1Manager, DEFAULT_DEVICE_RULES } from '../../src/cgroup/v1.js';
import { ConflictError, InvalidArgumentError } from '../../src/errors.js';
import { FakeCgroupFs, exists, readText } from './cgroup-fake-fs.js';

const ID = 'a'.repeat(64);
const OWN_MEMORY = '/process_api/c5942d46';
const JOINED = ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids'];

/** Control files the kernel puts in a new v1 cgroup, by hierarchy. */
const FILES: Record<string, Record<string, string>> = {
  memory: {
    'memory.limit_in_bytes': '9223372036854771712\n',
    'memory.memsw.limit_in_bytes': '9223372036854771712\n',
    'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n',
  },
  cpu: { 'cpu.cfs_period_us': '100000\n', 'cpu.cfs_quota_us': '-1\n', 'cpu.shares': '1024\n' },
  cpuacct: { 'cpuacct.usage': '0\n' },
  cpuset: { 'cpuset.cpus': '\n', 'cpuset.mems': '\n' },
  devices: { 'devices.allow': '', 'devices.deny': '', 'devices.list': 'a *:* rwm\n' },
  freezer: { 'freezer.state': 'THAWED\n' },
  blkio: { 'blkio.weight': '500\n' },
  pids: { 'pids.max': 'max\n' },
  systemd: {},
};

interface FakeHost {
  fs: FakeCgroupFs;
  layout: CgroupV1Layout;
  dir(hierarchy: string, cgroupPath: string): string;
}

/** This host's layout (see cgroup-probe.test.ts) on a temp dir, minus what a test leaves out. */
async function fakeHybridHost(root: string, opts: { without?: string[]; noSwapAccounting?: boolean } = {}): Promise<FakeHost> {
  await mkdir(root, { recursive: true });
  const names = Object.keys(FILES).filter((n) => !opts.without?.includes(n));
  const fs = new FakeCgroupFs((dir) => {
    const hierarchy = path.relative(root, dir).split(path.sep)[0] ?? '';
    const files: Record<string, string> = { 'cgroup.procs': '', ...FILES[hierarchy] };
    if (opts.noSwapAccounting) delete files['memory.memsw.limit_in_bytes'];
    return files;
  });
  const layout: CgroupV1Layout = { version: 1, hierarchies: [] };
  for (const name of names) {
    const mountpoint = path.join(root, name);
    await mkdir(mountpoint);
    fs.mountPoints.add(mountpoint);
    await writeFile(path.join(mountpoint, 'cgroup.procs'), '1\n');
    if (name === 'cpuset') {
      await writeFile(path.join(mountpoint, 'cpuset.cpus'), '0-3\n');
      await writeFile(path.join(mountpoint, 'cpuset.mems'), '0\n');
    }
    const key = name === 'systemd' ? 'name=systemd' : name;
    layout.hierarchies.push({ key, controllers: [key], mountpoint, ownPath: name === 'memory' ? OWN_MEMORY : '/' });
  }
  // The engine's own memory cgroup exists already, as it does on the host.
  let d = path.join(root, 'memory');
  for (const part of OWN_MEMORY.split('/').filter(Boolean)) {
    d = path.join(d, part);
    await fs.mkdir(d);
  }
  return { fs, layout, dir: (h, p) => path.join(root, h, p) };
}

describe('CgroupV1Manager', () => {
  let root: string;
  let host: FakeHost;
  let manager: CgroupV1Manager;
  const create = (limits: Limits = {}, parent?: string, m = manager) => m.create(ID, { ...limits, parent });
  const dirOf = (h: CgroupHandle, key: string) => (h.version === 1 ? (h.dirs[key] ?? '') : '');

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'berth-cgroup-v1-'));
    host = await fakeHybridHost(root);
    manager = new CgroupV1Manager(host.layout, host.fs);
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("resolves paths below the engine's own cgroup of each joined hierarchy", () => {
    const paths = manager.resolvePaths(ID);
    expect(Object.keys(paths).sort()).toEqual([...JOINED].sort());
    expect(paths.memory).toBe(`${OWN_MEMORY}/berth/${ID}`);
    expect(paths.cpu).toBe(`/berth/${ID}`);
  });

  it('creates one dir per joined hierarchy and none in name=systemd', async () => {
    const h = await create();
    expect(h.version).toBe(1);
    expect(dirOf(h, 'memory')).toBe(host.dir('memory', `${OWN_MEMORY}/berth/${ID}`));
    expect(dirOf(h, 'pids')).toBe(host.dir('pids', `/berth/${ID}`));
    expect(await exists(host.dir('systemd', '/berth'))).toBe(false);
    expect(procsFiles(h)).toHaveLength(8);
    expect(procsFiles(h)).toContain(host.dir('memory', `${OWN_MEMORY}/berth/${ID}/cgroup.procs`));
    for (const f of procsFiles(h)) expect(await exists(f)).toBe(true);
    // The handle is what the container record stores: it must survive JSON.
    expect(cgroupHandleSchema.parse(JSON.parse(JSON.stringify(h)))).toEqual(h);
    expect(() => cgroupHandleSchema.parse({ version: 1, dirs: { memory: 'relative' } })).toThrow();
  });

  it('writes the limits docker writes', async () => {
    const h = await create({ memory: 32 << 20, nanoCpus: 0.5e9, cpuShares: 512, pidsLimit: 20 });
    const file = (key: string, f: string) => readText(path.join(dirOf(h, key), f));
    expect(await file('memory', 'memory.limit_in_bytes')).toBe(String(32 << 20));
    expect(await file('memory', 'memory.memsw.limit_in_bytes')).toBe(String(64 << 20));
    expect(await file('cpu', 'cpu.cfs_period_us')).toBe('100000');
    expect(await file('cpu', 'cpu.cfs_quota_us')).toBe('50000');
    expect(await file('cpu', 'cpu.shares')).toBe('512');
    expect(await file('pids', 'pids.max')).toBe('20');
    const devices = host.fs.writes.filter((w) => w.file.startsWith(host.dir('devices', ''))).map((w) => `${path.basename(w.file)} ${w.data}`);
    expect(devices).toEqual(['devices.deny a', ...DEFAULT_DEVICE_RULES.map((r) => `devices.allow ${r}`)]);
    const order = host.fs.writes.map((w) => path.basename(w.file));
    expect(order.indexOf('memory.limit_in_bytes')).toBeLessThan(order.indexOf('memory.memsw.limit_in_bytes'));
    expect(order.indexOf('cpu.cfs_period_us')).toBeLessThan(order.indexOf('cpu.cfs_quota_us'));
  });

  it('updates limits in the order the kernel accepts, leaving the device rules alone', async () => {
    const h = await create({ memory: 32 << 20 });
    const file = (key: string, f: string) => readText(path.join(dirOf(h, key), f));
    const since = host.fs.writes.length;
    await manager.update(h, { memory: 64 << 20, pidsLimit: 10 });
    const raised = host.fs.writes.slice(since).map((w) => path.basename(w.file));
    expect(raised.indexOf('memory.memsw.limit_in_bytes')).toBeLessThan(raised.indexOf('memory.limit_in_bytes'));
    expect(raised).not.toContain('devices.deny');
    expect(await file('memory', 'memory.limit_in_bytes')).toBe(String(64 << 20));
    expect(await file('memory', 'memory.memsw.limit_in_bytes')).toBe(String(128 << 20));
    const lowered = host.fs.writes.length;
    await manager.update(h, { memory: 16 << 20 });
    const order = host.fs.writes.slice(lowered).map((w) => path.basename(w.file));
    expect(order).toEqual(['memory.limit_in_bytes', 'memory.memsw.limit_in_bytes']);
    await manager.update(h, { pidsLimit: -1 });
    expect(await file('pids', 'pids.max')).toBe('max');
  });

  it('names where a container cgroup goes without creating it, for cleanup after a crash', async () => {
    const h = await create({}, 'custom');
    expect(manager.handleFor(ID, 'custom')).toEqual(h);
    await removeCgroup(manager.handleFor(ID, 'custom'), host.fs);
    expect(await exists(dirOf(h, 'memory'))).toBe(false);
    await removeCgroup(manager.handleFor(ID), host.fs);
  });

  it('freezes and thaws through freezer.state', async () => {
    const h = await create();
    await manager.setFrozen(h, true);
    expect(await readText(path.join(dirOf(h, 'freezer'), 'freezer.state'))).toBe('FROZEN');
    await manager.setFrozen(h, false);
    expect(await readText(path.join(dirOf(h, 'freezer'), 'freezer.state'))).toBe('THAWED');
  });

  it('reads stats and member pids from the v1 files', async () => {
    const h = await create({ memory: 32 << 20 });
    const put = (key: string, f: string, text: string) => writeFile(path.join(dirOf(h, key), f), text);
    await put('cpuacct', 'cpuacct.usage', '123456789\n');
    await put('memory', 'memory.usage_in_bytes', '5000000\n');
    await put('memory', 'memory.stat', 'cache 10\ntotal_inactive_file 1000000\n');
    await put('pids', 'pids.current', '3\n');
    await put('blkio', 'blkio.throttle.io_service_bytes_recursive', '8:0 Read 4096\n8:0 Write 8192\n8:0 Total 12288\nTotal 12288\n');
    await put('pids', 'cgroup.procs', '12\n7\n');
    expect(await manager.stats(h)).toEqual({
      cpuNs: 123456789,
      memoryUsage: 5000000,
      memoryInactiveFile: 1000000,
      memoryLimit: 32 << 20,
      pids: 3,
      blkioRead: 4096,
      blkioWrite: 8192,
    });
    expect(await manager.pids(h)).toEqual([7, 12]);
  });

  it("holds docker's default device allowlist", () => {
    expect(DEFAULT_DEVICE_RULES).toEqual(
      expect.arrayContaining(['c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm']),
    );
    expect(DEFAULT_DEVICE_RULES).toEqual(expect.arrayContaining(['c 5:0 rwm', 'c 5:1 rwm', 'c 5:2 rwm', 'c 136:* rwm', 'c 10:200 rwm']));
  });

  it('copies cpuset.cpus and cpuset.mems into every new cpuset dir before tasks can join', async () => {
    await create();
    for (const p of ['/berth', `/berth/${ID}`]) {
      expect(await readText(host.dir('cpuset', `${p}/cpuset.cpus`))).toBe('0-3');
      expect(await readText(host.dir('cpuset', `${p}/cpuset.mems`))).toBe('0');
    }
  });

  it('fills an existing parent left without cpus, and keeps one that has its own', async () => {
    await host.fs.mkdir(host.dir('cpuset', '/berth'));
    await create();
    expect(await readText(host.dir('cpuset', '/berth/cpuset.cpus'))).toBe('0-3');

    await rm(root, { recursive: true, force: true });
    host = await fakeHybridHost(root);
    manager = new CgroupV1Manager(host.layout, host.fs);
    await host.fs.mkdir(host.dir('cpuset', '/berth'));
    await writeFile(host.dir('cpuset', '/berth/cpuset.cpus'), '1\n');
    await create();
    expect(await readText(host.dir('cpuset', '/berth/cpuset.cpus'))).toBe('1\n');
    expect(await readText(host.dir('cpuset', `/berth/${ID}/cpuset.cpus`))).toBe('1');
  });

  it('writes no limit that was not asked for and leaves a privileged container its parent devices', async () => {
    await create({ privileged: true, memory: 0, pidsLimit: -1 });
    const written = host.fs.writes.map((w) => path.basename(w.file));
    expect(written.every((f) => f.startsWith('cpuset.'))).toBe(true);
    expect(await readText(host.dir('memory', `${OWN_MEMORY}/berth/${ID}/memory.limit_in_bytes`))).toBe('9223372036854771712\n');
  });

  it('leaves swap alone without swap accounting', async () => {
    const other = await fakeHybridHost(path.join(root, 'noswap'), { noSwapAccounting: true });
    await create({ memory: 64 << 20 }, undefined, new CgroupV1Manager(other.layout, other.fs));
    const written = other.fs.writes.map((w) => path.basename(w.file));
    expect(written).toContain('memory.limit_in_bytes');
    expect(written).not.toContain('memory.memsw.limit_in_bytes');
  });

  it('takes an absolute parent from each hierarchy root and a relative one below its own cgroup', async () => {
    const abs = await create({}, '/ci/jobs');
    expect(procsFiles(abs)).toContain(host.dir('memory', `/ci/jobs/${ID}/cgroup.procs`));
    expect(procsFiles(abs)).toContain(host.dir('pids', `/ci/jobs/${ID}/cgroup.procs`));
    await removeCgroup(abs, host.fs);

    const rel = await create({}, 'tests');
    expect(procsFiles(rel)).toContain(host.dir('memory', `${OWN_MEMORY}/tests/${ID}/cgroup.procs`));
    expect(procsFiles(rel)).toContain(host.dir('pids', `/tests/${ID}/cgroup.procs`));
  });

  it.each(['/', '//', '/a/..', '.', '..', '../escape', 'a/../..'])('refuses the parent %j', (parent) => {
    expect(() => manager.resolvePaths(ID, parent)).toThrow(InvalidArgumentError);
  });

  it('refuses a path given to create directly at a hierarchy root, creating nothing', async () => {
    const paths = { ...manager.resolvePaths(ID), pids: `/${ID}` };
    await expect(manager.createAt(paths, {})).rejects.toThrow(/hierarchy root/);
    expect(host.fs.writes).toEqual([]);
    expect(await exists(host.dir('cpu', '/berth'))).toBe(false);
  });

  it('refuses paths that miss a hierarchy', async () => {
    const paths = manager.resolvePaths(ID);
    delete paths.pids;
    await expect(manager.createAt(paths, {})).rejects.toThrow(/pids/);
  });

  it('refuses a container id that is not one path component', () => {
    expect(() => manager.resolvePaths('../x')).toThrow(InvalidArgumentError);
    expect(() => manager.resolvePaths('')).toThrow(InvalidArgumentError);
    expect(() => manager.resolvePaths('a/b')).toThrow(InvalidArgumentError);
  });

  it.each([{ memory: 1.5 }, { memory: -1 }, { nanoCpus: 1e6 }, { cpuShares: 1 }, { pidsLimit: Number.NaN }])(
    'refuses the limits %j before making anything',
    async (limits) => {
      await expect(create(limits)).rejects.toThrow(InvalidArgumentError);
      expect(await exists(host.dir('pids', '/berth'))).toBe(false);
    },
  );

  it('refuses a limit for a controller that is not mounted', async () => {
    const noPids = await fakeHybridHost(path.join(root, 'nopids'), { without: ['pids'] });
    const m = new CgroupV1Manager(noPids.layout, noPids.fs);
    await expect(create({ pidsLimit: 10 }, undefined, m)).rejects.toThrow(InvalidArgumentError);
    await expect(create({ pidsLimit: 10 }, undefined, m)).rejects.toThrow(/pids/);
    expect(await exists(noPids.dir('memory', `${OWN_MEMORY}/berth`))).toBe(false);
    // Without a pids limit the same host is fine: the missing hierarchy is skipped.
    const h = await create({}, undefined, m);
    expect(procsFiles(h)).toHaveLength(7);
  });

  it('rolls back every dir it made, and only those, when a write fails', async () => {
    // A berth parent that exists already in one hierarchy must survive the rollback.
    await host.fs.mkdir(host.dir('freezer', '/berth'));
    host.fs.fail('writeFile', /pids\.max$/, 'EINVAL');
    await expect(create({ pidsLimit: 20 })).rejects.toThrow(InvalidArgumentError);
    for (const h of ['cpu', 'cpuacct', 'cpuset', 'devices', 'blkio', 'pids']) {
      expect(await exists(host.dir(h, '/berth'))).toBe(false);
    }
    expect(await exists(host.dir('memory', `${OWN_MEMORY}/berth`))).toBe(false);
    expect(await exists(host.dir('memory', OWN_MEMORY))).toBe(true);
    expect(await exists(host.dir('freezer', '/berth'))).toBe(true);
    expect(await exists(host.dir('freezer', `/berth/${ID}`))).toBe(false);
  });

  it('rolls back when a directory cannot be made', async () => {
    host.fs.fail('mkdir', (d) => d === host.dir('pids', `/berth/${ID}`), 'ENOSPC');
    await expect(create()).rejects.toThrow(/ENOSPC/);
    expect(await exists(host.dir('memory', `${OWN_MEMORY}/berth`))).toBe(false);
    expect(await exists(host.dir('pids', '/berth'))).toBe(false);
  });

  it('names both errors when the rollback fails too', async () => {
    host.fs.fail('writeFile', /pids\.max$/, 'EINVAL');
    host.fs.fail('rmdir', /cpuset/, 'EIO');
    await expect(create({ pidsLimit: 20 })).rejects.toThrow(/EINVAL.*undoing the create failed too.*EIO/);
    expect(await exists(host.dir('pids', '/berth'))).toBe(false);
    expect(await exists(host.dir('cpuset', `/berth/${ID}`))).toBe(true);
  });

  it('replaces a stale container cgroup left by a crash, but not one in use', async () => {
    await create({ pidsLimit: 5 });
    const h = await create({ pidsLimit: 7 });
    expect(await readText(host.dir('pids', `/berth/${ID}/pids.max`))).toBe('7');

    await writeFile(host.dir('pids', `/berth/${ID}/cgroup.procs`), '4242\n');
    await expect(create()).rejects.toThrow(ConflictError);
    expect(await exists(host.dir('pids', `/berth/${ID}`))).toBe(true);
    await writeFile(host.dir('pids', `/berth/${ID}/cgroup.procs`), '');
    await removeCgroup(h, host.fs);
  });

  it('offers the handle operations as methods too, as the engine uses them', async () => {
    const h = await create({ memory: 8 << 20 });
    expect(manager.procsFiles(h)).toEqual(procsFiles(h));
    expect(await manager.oomKilled(h)).toBe(false);
    await manager.remove(h);
    for (const f of procsFiles(h)) expect(await exists(path.dirname(f))).toBe(false);
  });

  it('reads oom_kill from memory.oom_control', async () => {
    const h = await create({ memory: 8 << 20 });
    expect(await oomKilled(h, host.fs)).toBe(false);
    await writeFile(host.dir('memory', `${OWN_MEMORY}/berth/${ID}/memory.oom_control`), 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n');
    expect(await oomKilled(h, host.fs)).toBe(true);
    await removeCgroup(h, host.fs);
    expect(await oomKilled(h, host.fs)).toBe(false);
  });

  it('removes the container dirs, keeps the parent, retries while busy and accepts absent dirs', async () => {
    const h = await create();
    host.fs.fail('rmdir', /cpuset/, 'EBUSY', 3);
    await removeCgroup(h, host.fs);
    for (const p of procsFiles(h)) expect(await exists(path.dirname(p))).toBe(false);
    expect(await exists(host.dir('cpuset', '/berth'))).toBe(true);
    await removeCgroup(h, host.fs);
  });

  it('removes cgroups the container made below its own', async () => {
    const h = await create();
    await host.fs.mkdir(host.dir('pids', `/berth/${ID}/nested`));
    await host.fs.mkdir(host.dir('pids', `/berth/${ID}/nested/deeper`));
    await removeCgroup(h, host.fs);
    expect(await exists(host.dir('pids', `/berth/${ID}`))).toBe(false);
  });

  it('gives up with a ConflictError on a cgroup that stays busy', async () => {
    const h = await create();
    host.fs.fail('rmdir', /pids/, 'EBUSY');
    await expect(removeCgroup(h, host.fs)).rejects.toThrow(ConflictError);
  });
});
