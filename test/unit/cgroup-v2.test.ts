/**
 * The cgroup v2 manager on a fake unified hierarchy in a temp dir, filled by
 * FakeCgroupFs as cgroupfs would.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  cgroupHandleSchema,
  cgroupManagerFor,
  oomKilled,
  procsFiles,
  removeCgroup,
  type CgroupHandle,
  type Limits,
} from '../../src/cgroup/index.js';
import type { CgroupV2Layout } from '../../src/cgroup/probe.js';
import { CgroupV2Manager, cpuWeightFromShares } from '../../src/cgroup/v2.js';
import { ConflictError, InvalidArgumentError } from '../../src/errors.js';
import { FakeCgroupFs, exists, readText } from './cgroup-fake-fs.js';

const ID = 'b'.repeat(64);
const OWN = '/user.slice/session-1.scope';
const ALL = 'cpuset cpu io memory hugetlb pids rdma misc';

interface FakeV2 {
  fs: FakeCgroupFs;
  layout: CgroupV2Layout;
  dir(cgroupPath: string): string;
}

async function fakeV2Host(
  root: string,
  opts: { controllers?: string; rootSubtree?: string; ownPath?: string; swap?: boolean; ownProcs?: string } = {},
): Promise<FakeV2> {
  await mkdir(root, { recursive: true });
  const fs = new FakeCgroupFs(() => ({
    'cgroup.procs': '',
    'cgroup.subtree_control': '',
    'cgroup.controllers': '',
    'memory.max': 'max\n',
    ...(opts.swap === false ? {} : { 'memory.swap.max': 'max\n' }),
    'memory.events': 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n',
    'cpu.max': 'max 100000\n',
    'cpu.weight': '100\n',
    'pids.max': 'max\n',
  }));
  fs.mountPoints.add(root);
  await writeFile(path.join(root, 'cgroup.controllers'), `${opts.controllers ?? ALL}\n`);
  await writeFile(path.join(root, 'cgroup.subtree_control'), `${opts.rootSubtree ?? 'cpu io memory pids'}\n`);
  await writeFile(path.join(root, 'cgroup.procs'), '1\n');
  const ownPath = opts.ownPath ?? OWN;
  let d = root;
  for (const part of ownPath.split('/').filter(Boolean)) {
    d = path.join(d, part);
    await fs.mkdir(d);
    await writeFile(path.join(d, 'cgroup.subtree_control'), 'cpu io memory pids\n');
  }
  if (ownPath !== '/') {
    await writeFile(path.join(d, 'cgroup.subtree_control'), '');
    await writeFile(path.join(d, 'cgroup.procs'), opts.ownProcs ?? '');
  }
  return { fs, layout: { version: 2, mountpoint: root, ownPath }, dir: (p) => path.join(root, p) };
}

describe('CgroupV2Manager', () => {
  let root: string;
  let host: FakeV2;
  let manager: CgroupV2Manager;
  const create = (limits: Limits = {}, parent?: string, m = manager) => m.create(ID, { ...limits, parent });
  const subtreeWrites = (fs: FakeCgroupFs) =>
    fs.writes.filter((w) => w.file.endsWith('cgroup.subtree_control')).map((w) => `${path.relative(root, path.dirname(w.file)) || '/'}: ${w.data}`);

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'berth-cgroup-v2-'));
    host = await fakeV2Host(root);
    manager = new CgroupV2Manager(host.layout, host.fs);
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('is what the factory gives for a v2 layout', () => {
    expect(cgroupManagerFor(host.layout, host.fs)).toBeInstanceOf(CgroupV2Manager);
    expect(cgroupManagerFor(host.layout, host.fs).version).toBe(2);
  });

  it("puts the container below '<own>/berth' and enables controllers down the path", async () => {
    expect(manager.resolvePaths(ID)).toEqual({ '': `${OWN}/berth/${ID}` });
    const h = await create();
    expect(h).toEqual({ version: 2, dir: host.dir(`${OWN}/berth/${ID}`) });
    expect(procsFiles(h)).toEqual([host.dir(`${OWN}/berth/${ID}/cgroup.procs`)]);
    expect(subtreeWrites(host.fs)).toEqual([
      '/: +cpuset',
      'user.slice: +cpuset',
      `${OWN.slice(1)}: +cpu +cpuset +io +memory +pids`,
      `${OWN.slice(1)}/berth: +cpu +cpuset +io +memory +pids`,
    ]);
    expect(cgroupHandleSchema.parse(JSON.parse(JSON.stringify(h)))).toEqual(h);
  });

  it('writes the limits docker writes', async () => {
    const h = await create({ memory: 32 << 20, nanoCpus: 1.5e9, cpuShares: 512, pidsLimit: 20 });
    const file = (f: string) => readText(path.join(h.version === 2 ? h.dir : '', f));
    expect(await file('memory.max')).toBe(String(32 << 20));
    expect(await file('memory.swap.max')).toBe(String(32 << 20));
    expect(await file('cpu.max')).toBe('150000 100000');
    expect(await file('cpu.weight')).toBe(String(cpuWeightFromShares(512)));
    expect(await file('pids.max')).toBe('20');
  });

  it('writes no limit that was not asked for', async () => {
    await create({ memory: 0, nanoCpus: 0, cpuShares: 0, pidsLimit: 0 });
    expect(host.fs.writes.every((w) => w.file.endsWith('cgroup.subtree_control'))).toBe(true);
  });

  it('leaves swap alone without swap accounting', async () => {
    const other = await fakeV2Host(path.join(root, 'noswap'), { swap: false });
    await create({ memory: 64 << 20 }, undefined, new CgroupV2Manager(other.layout, other.fs));
    const written = other.fs.writes.map((w) => path.basename(w.file));
    expect(written).toContain('memory.max');
    expect(written).not.toContain('memory.swap.max');
  });

  it("maps cpu shares onto cpu.weight as runc does", () => {
    expect(cpuWeightFromShares(2)).toBe(1);
    expect(cpuWeightFromShares(1024)).toBe(39);
    expect(cpuWeightFromShares(262_144)).toBe(10_000);
    expect(cpuWeightFromShares(1_000_000)).toBe(10_000);
  });

  it("moves the engine's processes into <own>/init when its cgroup cannot take controllers", async () => {
    const busy = await fakeV2Host(path.join(root, 'busy'), { ownProcs: '100\n200\n' });
    const ownDir = busy.dir(OWN);
    busy.fs.fail('writeFile', (f) => f === path.join(ownDir, 'cgroup.subtree_control'), 'EBUSY', 1);
    await create({ pidsLimit: 5 }, undefined, new CgroupV2Manager(busy.layout, busy.fs));
    expect(await readText(path.join(ownDir, 'init', 'cgroup.procs'))).toBe('100\n200\n');
    expect(await readText(path.join(ownDir, 'cgroup.procs'))).toBe('');
    expect(await readText(path.join(ownDir, 'cgroup.subtree_control'))).toBe('+cpu +cpuset +io +memory +pids');
  });

  it("refuses to empty a cgroup that is not the engine's own, and rolls back", async () => {
    host.fs.fail('writeFile', (f) => f === host.dir('/ci/cgroup.subtree_control'), 'EBUSY');
    await host.fs.mkdir(host.dir('/ci'));
    await writeFile(host.dir('/ci/cgroup.procs'), '77\n');
    await expect(create({}, '/ci')).rejects.toThrow(ConflictError);
    expect(await readText(host.dir('/ci/cgroup.procs'))).toBe('77\n');
    expect(await exists(host.dir(`/ci/${ID}`))).toBe(false);
    expect(await exists(host.dir('/ci/init'))).toBe(false);
  });

  it('refuses a limit whose controller the hierarchy does not offer, leaving nothing', async () => {
    const noPids = await fakeV2Host(path.join(root, 'nopids'), { controllers: 'cpu io memory', rootSubtree: 'cpu io memory' });
    const m = new CgroupV2Manager(noPids.layout, noPids.fs);
    await expect(create({ pidsLimit: 10 }, undefined, m)).rejects.toThrow(/pids/);
    await expect(create({ pidsLimit: 10 }, undefined, m)).rejects.toThrow(InvalidArgumentError);
    expect(await exists(noPids.dir(`${OWN}/berth`))).toBe(false);
    await create({ memory: 8 << 20 }, undefined, m);
  });

  it('rolls back every dir it made when a limit cannot be written', async () => {
    host.fs.fail('writeFile', /cpu\.max$/, 'EINVAL');
    await expect(create({ nanoCpus: 1e9 })).rejects.toThrow(InvalidArgumentError);
    expect(await exists(host.dir(`${OWN}/berth`))).toBe(false);
    expect(await exists(host.dir(OWN))).toBe(true);
  });

  it('takes an absolute parent from the root and refuses the root itself', async () => {
    const h = await create({}, '/ci/jobs');
    expect(h).toEqual({ version: 2, dir: host.dir(`/ci/jobs/${ID}`) });
    expect(() => manager.resolvePaths(ID, '/')).toThrow(/hierarchy root/);
  });

  it("puts the container below '/berth' when the engine's cgroup is the root (a cgroup namespace)", async () => {
    const ns = await fakeV2Host(path.join(root, 'ns'), { ownPath: '/' });
    const m = new CgroupV2Manager(ns.layout, ns.fs);
    expect(m.resolvePaths(ID)).toEqual({ '': `/berth/${ID}` });
    const h = await create({}, undefined, m);
    expect(h).toEqual({ version: 2, dir: ns.dir(`/berth/${ID}`) });
  });

  it('reads oom_kill from memory.events and removes the cgroup', async () => {
    const h: CgroupHandle = await create({ memory: 8 << 20 });
    expect(await oomKilled(h, host.fs)).toBe(false);
    await writeFile(host.dir(`${OWN}/berth/${ID}/memory.events`), 'low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\noom_group_kill 0\n');
    expect(await oomKilled(h, host.fs)).toBe(true);
    await removeCgroup(h, host.fs);
    expect(await exists(host.dir(`${OWN}/berth/${ID}`))).toBe(false);
    expect(await exists(host.dir(`${OWN}/berth`))).toBe(true);
    expect(await oomKilled(h, host.fs)).toBe(false);
  });
});
