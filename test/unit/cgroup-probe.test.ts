import { describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseCgroupLayout, parseCgroupMounts, parseSelfCgroup, probeCgroupLayout } from '../../src/cgroup/probe.js';
import { UnavailableError } from '../../src/errors.js';

/** The machines berth is developed on: cgroup v1 controllers, cpu and cpuacct apart, and a nearly empty cgroup2. */
const HYBRID_MOUNTINFO = `22 1 254:0 / / rw,relatime - ext4 /dev/vda rw
23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
const HYBRID_CGROUP = `9:name=systemd:/
8:pids:/
7:blkio:/
6:freezer:/
5:devices:/
4:memory:/process_api/c5942d46fa44f306ddb00ba2c368c212
3:cpuset:/
2:cpuacct:/
1:cpu:/
0::/
`;

/** A systemd host on cgroup v2 only. */
const V2_MOUNTINFO = `25 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro
26 25 0:24 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
27 26 0:25 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:8 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;
const V2_CGROUP = '0::/user.slice/user-0.slice/session-1.scope\n';

/** An older v1-only host with co-mounted controllers and no cgroup2 mount. */
const V1_MOUNTINFO = `25 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
30 26 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
31 30 0:27 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,xattr,name=systemd
34 30 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,cpu,cpuacct
35 30 0:31 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,net_cls,net_prio
36 30 0:32 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,memory
37 30 0:33 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,pids
38 30 0:34 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:18 - cgroup cgroup rw,cpuset,clone_children
`;
const V1_CGROUP = `8:cpuset:/
7:pids:/system.slice/ssh.service
6:memory:/system.slice/ssh.service
5:net_cls,net_prio:/
3:cpu,cpuacct:/system.slice/ssh.service
1:name=systemd:/system.slice/ssh.service
0::/system.slice/ssh.service
`;

describe('parseCgroupMounts', () => {
  it('keeps only cgroup and cgroup2 mounts, with their super options', () => {
    const mounts = parseCgroupMounts(V1_MOUNTINFO);
    expect(mounts.map((m) => m.mountpoint)).not.toContain('/sys/fs/cgroup');
    expect(mounts.find((m) => m.mountpoint === '/sys/fs/cgroup/cpuset')?.superOptions).toEqual(['rw', 'cpuset', 'clone_children']);
    expect(mounts.find((m) => m.mountpoint === '/sys/fs/cgroup/systemd')?.superOptions).toContain('name=systemd');
    expect(mounts.find((m) => m.mountpoint === '/sys/fs/cgroup/cpu,cpuacct')?.superOptions).toEqual(['rw', 'cpu', 'cpuacct']);
  });

  it('unescapes octal escapes in paths', () => {
    const [m] = parseCgroupMounts('40 31 0:37 /a\\040b /mnt/my\\040cgroups rw - cgroup2 none rw\n');
    expect(m).toEqual({ fstype: 'cgroup2', mountpoint: '/mnt/my cgroups', root: '/a b', superOptions: ['rw'] });
  });

  it('reads optional fields before the separator', () => {
    const [m] = parseCgroupMounts(V2_MOUNTINFO);
    expect(m).toMatchObject({ fstype: 'cgroup2', mountpoint: '/sys/fs/cgroup', root: '/' });
  });
});

describe('parseSelfCgroup', () => {
  it('reads each hierarchy line, paths with colons included', () => {
    expect(parseSelfCgroup('4:memory:/a:b\n3:cpu,cpuacct:/\n0::/\n')).toEqual([
      { key: 'memory', controllers: ['memory'], path: '/a:b' },
      { key: 'cpu,cpuacct', controllers: ['cpu', 'cpuacct'], path: '/' },
      { key: '', controllers: [], path: '/' },
    ]);
  });
});

describe('parseCgroupLayout', () => {
  it("sees this hybrid host as v1, with the engine's own cgroup per hierarchy", () => {
    const layout = parseCgroupLayout(HYBRID_MOUNTINFO, HYBRID_CGROUP);
    expect(layout.version).toBe(1);
    if (layout.version !== 1) return;
    const byController = (c: string) => layout.hierarchies.find((h) => h.controllers.includes(c));
    expect(byController('memory')).toEqual({
      key: 'memory',
      controllers: ['memory'],
      mountpoint: '/sys/fs/cgroup/memory',
      ownPath: '/process_api/c5942d46fa44f306ddb00ba2c368c212',
    });
    expect(byController('cpu')).toEqual({ key: 'cpu', controllers: ['cpu'], mountpoint: '/sys/fs/cgroup/cpu', ownPath: '/' });
    expect(byController('cpuacct')?.mountpoint).toBe('/sys/fs/cgroup/cpuacct');
    expect(byController('name=systemd')?.mountpoint).toBe('/sys/fs/cgroup/systemd');
    // The cgroup2 mount holding only hugetlb is not a hierarchy containers join.
    expect(layout.hierarchies).toHaveLength(9);
  });

  it('sees a pure v2 host as v2', () => {
    expect(parseCgroupLayout(V2_MOUNTINFO, V2_CGROUP)).toEqual({
      version: 2,
      mountpoint: '/sys/fs/cgroup',
      ownPath: '/user.slice/user-0.slice/session-1.scope',
    });
  });

  it('sees a pure v1 host with co-mounted controllers as v1', () => {
    const layout = parseCgroupLayout(V1_MOUNTINFO, V1_CGROUP);
    expect(layout.version).toBe(1);
    if (layout.version !== 1) return;
    expect(layout.hierarchies).toContainEqual({
      key: 'cpu,cpuacct',
      controllers: ['cpu', 'cpuacct'],
      mountpoint: '/sys/fs/cgroup/cpu,cpuacct',
      ownPath: '/system.slice/ssh.service',
    });
    expect(layout.hierarchies).toContainEqual({
      key: 'net_cls,net_prio',
      controllers: ['net_cls', 'net_prio'],
      mountpoint: '/sys/fs/cgroup/net_cls,net_prio',
      ownPath: '/',
    });
    expect(layout.hierarchies.map((h) => h.key)).toEqual(['cpuset', 'pids', 'memory', 'net_cls,net_prio', 'cpu,cpuacct', 'name=systemd']);
  });

  it('places the engine below a mount that shows only a sub-tree of the hierarchy', () => {
    const layout = parseCgroupLayout(
      '35 31 0:32 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n',
      '4:memory:/docker/abc/sub\n0::/\n',
    );
    expect(layout).toEqual({
      version: 1,
      hierarchies: [{ key: 'memory', controllers: ['memory'], mountpoint: '/sys/fs/cgroup/memory', ownPath: '/sub' }],
    });
  });

  it('skips a mount in which the engine cannot see its own cgroup', () => {
    const layout = parseCgroupLayout(
      '35 31 0:32 /other /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n' +
        '36 31 0:33 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n',
      '4:memory:/docker/abc\n3:pids:/docker/abc\n',
    );
    expect(layout).toEqual({
      version: 1,
      hierarchies: [{ key: 'pids', controllers: ['pids'], mountpoint: '/sys/fs/cgroup/pids', ownPath: '/docker/abc' }],
    });
  });

  it('does not take a host with only name=systemd in v1 for a v1 host', () => {
    const layout = parseCgroupLayout(
      V2_MOUNTINFO + '40 27 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n',
      '1:name=systemd:/\n0::/init.scope\n',
    );
    expect(layout).toEqual({ version: 2, mountpoint: '/sys/fs/cgroup', ownPath: '/init.scope' });
  });

  it('refuses a host with no cgroup filesystem', () => {
    expect(() => parseCgroupLayout(V2_MOUNTINFO.split('\n')[0] ?? '', V2_CGROUP)).toThrow(UnavailableError);
  });
});

describe('probeCgroupLayout', () => {
  it('reads the two files from the paths it is given', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-cgroup-probe-'));
    try {
      await writeFile(path.join(dir, 'mountinfo'), HYBRID_MOUNTINFO);
      await writeFile(path.join(dir, 'cgroup'), HYBRID_CGROUP);
      const layout = await probeCgroupLayout({ mountinfoPath: path.join(dir, 'mountinfo'), selfCgroupPath: path.join(dir, 'cgroup') });
      expect(layout).toEqual(parseCgroupLayout(HYBRID_MOUNTINFO, HYBRID_CGROUP));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
