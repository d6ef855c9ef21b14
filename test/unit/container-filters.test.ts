import { describe, expect, it } from 'vitest';
import { containerFilter, filtersFromArgs, type ContainerFilters, type ImageLookup } from '../../src/container/filters.js';
import { ZERO_TIME, containerRecordSchema, type ContainerRecord } from '../../src/container/record.js';
import { statusText } from '../../src/cli/container-row.js';

let serial = 0;
function record(name: string, over: { state?: Partial<ContainerRecord['State']>; labels?: Record<string, string>; image?: string; created?: string; healthcheck?: boolean } = {}): ContainerRecord {
  serial++;
  return containerRecordSchema.parse({
    Id: serial.toString(16).padStart(2, '0').repeat(32),
    Name: `/${name}`,
    Created: over.created ?? `2026-01-01T00:00:${String(serial % 60).padStart(2, '0')}Z`,
    Image: over.image ?? 'sha256:aaaa',
    Path: 'sh',
    Args: [],
    Config: {
      Hostname: 'h', User: '', Env: [], Cmd: ['sh'], Entrypoint: null, WorkingDir: '', Tty: false, OpenStdin: false,
      Labels: over.labels ?? {}, Image: 'busybox',
      ...(over.healthcheck ? { Healthcheck: { Test: ['CMD', 'true'] } } : {}),
    },
    HostConfig: { Memory: 0, NanoCpus: 0, CpuShares: 0, PidsLimit: 0, NetworkMode: 'none', CgroupParent: '', CapAdd: [], CapDrop: [], Privileged: false, AutoRemove: false },
    State: { Status: 'created', Running: false, Pid: 0, ExitCode: 0, OOMKilled: false, Error: '', StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME, ...over.state },
    Runtime: { layers: [], shim: null, process: null, cgroup: null },
  });
}

const started = { StartedAt: '2026-01-01T00:00:00Z' };
const recs = [
  record('web', { state: { Status: 'running', Running: true, ...started }, labels: { tier: 'web', app: 'shop' } }),
  record('batch', { state: { Status: 'exited', ExitCode: 0, ...started, FinishedAt: '2026-01-01T00:01:00Z' }, labels: { tier: 'batch' } }),
  record('crash', { state: { Status: 'exited', ExitCode: 3, ...started, FinishedAt: '2026-01-01T00:01:00Z' }, image: 'sha256:child' }),
  record('fresh'),
  record('sick', { state: { Status: 'running', Running: true, ...started, Health: { Status: 'unhealthy', FailingStreak: 3, Log: [] } }, healthcheck: true }),
];

const images: ImageLookup = {
  async resolve(ref) {
    const known: Record<string, { id: string; diffIds: string[] }> = {
      busybox: { id: 'sha256:aaaa', diffIds: ['sha256:l1'] },
      child: { id: 'sha256:child', diffIds: ['sha256:l1', 'sha256:l2'] },
    };
    return known[ref];
  },
  async all() {
    return [{ id: 'sha256:aaaa', diffIds: ['sha256:l1'] }, { id: 'sha256:child', diffIds: ['sha256:l1', 'sha256:l2'] }];
  },
};

async function pick(filters: ContainerFilters): Promise<string[]> {
  const keep = await containerFilter(filters, recs, images);
  return recs.filter(keep).map((r) => r.Name.slice(1)).sort();
}

describe('ps filters', () => {
  it('ORs the values of one filter and ANDs different filters', async () => {
    expect(await pick({ status: ['running'] })).toEqual(['sick', 'web']);
    expect(await pick({ status: ['running', 'created'] })).toEqual(['fresh', 'sick', 'web']);
    expect(await pick({ status: ['exited'], exited: ['3'] })).toEqual(['crash']);
    expect(await pick({ exited: ['0', '3'] })).toEqual(['batch', 'crash']);
    expect(await pick({ name: ['^c', 'web'] })).toEqual(['crash', 'web']);
    expect(await pick({ name: ['/fresh'] })).toEqual(['fresh']);
  });

  it('matches labels by key or key=value, all of them (docker MatchKVList)', async () => {
    expect(await pick({ label: ['tier'] })).toEqual(['batch', 'web']);
    expect(await pick({ label: ['tier=web'] })).toEqual(['web']);
    expect(await pick({ label: ['tier', 'app=shop'] })).toEqual(['web']);
    expect(await pick({ label: ['tier=none'] })).toEqual([]);
  });

  it('finds ancestors with their descendants, ids, health and creation order', async () => {
    expect(await pick({ ancestor: ['busybox'] })).toEqual(['batch', 'crash', 'fresh', 'sick', 'web']);
    expect(await pick({ ancestor: ['child'] })).toEqual(['crash']);
    expect(await pick({ ancestor: ['nosuch'] })).toEqual([]);
    expect(await pick({ id: [recs[1]!.Id.slice(0, 6)] })).toEqual(['batch']);
    expect(await pick({ health: ['unhealthy'] })).toEqual(['sick']);
    expect(await pick({ health: ['none'] })).toEqual(['batch', 'crash', 'fresh', 'web']);
    expect(await pick({ before: ['crash'] })).toEqual(['batch', 'web']);
    expect(await pick({ since: ['crash'] })).toEqual(['fresh', 'sick']);
    expect(await pick({ network: ['none'] })).toEqual(['batch', 'crash', 'fresh', 'sick', 'web']);
    expect(await pick({ network: ['host'] })).toEqual([]);
    expect(await pick({ 'is-task': ['false'], volume: ['data'] })).toEqual([]);
    expect(await pick({ 'is-task': ['false'] })).toHaveLength(5);
  });

  it('matches publish= against published container ports and expose= against exposed ones', async () => {
    const web = containerRecordSchema.parse({
      ...record('pub', { state: { Status: 'running', Running: true, ...started } }),
      Config: { ...recs[0]!.Config, ExposedPorts: { '80/tcp': {}, '53/udp': {} } },
      NetworkSettings: { Networks: { front: { NetworkID: 'n'.repeat(64) } } },
    });
    web.Runtime.ports = [{ protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 8080, containerPort: 80 }];
    const match = async (f: ContainerFilters): Promise<boolean> => (await containerFilter(f, [web], images))(web);
    expect(await match({ publish: ['80'] })).toBe(true);
    expect(await match({ publish: ['79-81/tcp'] })).toBe(true);
    expect(await match({ publish: ['80/udp'] })).toBe(false);
    expect(await match({ publish: ['53/udp'] })).toBe(false);
    expect(await match({ expose: ['53/udp'] })).toBe(true);
    expect(await match({ network: ['front'] })).toBe(true);
    expect(await match({ network: ['n'.repeat(64)] })).toBe(true);
    expect(await match({ network: ['back'] })).toBe(false);
    await expect(pick({ publish: ['eighty'] })).rejects.toThrow('invalid port filter: eighty');
  });

  it("refuses what docker refuses, with docker's messages", async () => {
    await expect(pick({ bogus: ['1'] })).rejects.toThrow("invalid filter 'bogus'");
    await expect(pick({ status: ['sleeping'] })).rejects.toThrow("invalid filter 'status=sleeping'");
    await expect(pick({ exited: ['x'] })).rejects.toThrow("invalid filter 'exited=x'");
    await expect(pick({ health: ['fine'] })).rejects.toThrow("invalid filter 'health=fine'");
    await expect(pick({ before: ['nosuch'] })).rejects.toThrow('No such container: nosuch');
    expect(() => filtersFromArgs(['status'])).toThrow('bad format of filter (expected name=value): status');
    expect(filtersFromArgs(['status=exited', 'status=created', 'label=a=b'])).toEqual({ status: ['exited', 'created'], label: ['a=b'] });
  });
});

describe('ps STATUS strings', () => {
  const now = Date.parse('2026-01-01T00:03:00Z');
  const at = (state: Partial<ContainerRecord['State']>, healthcheck = false): string => statusText(record('s', { state, healthcheck }), now);

  it("says what docker's State.String() says", () => {
    expect(at({ Status: 'running', Running: true, ...started })).toBe('Up 3 minutes');
    expect(at({ Status: 'paused', Running: true, Paused: true, ...started })).toBe('Up 3 minutes (Paused)');
    expect(at({ Status: 'running', Running: true, ...started, Health: { Status: 'healthy', FailingStreak: 0, Log: [] } }, true)).toBe('Up 3 minutes (healthy)');
    expect(at({ Status: 'running', Running: true, ...started, Health: { Status: 'unhealthy', FailingStreak: 3, Log: [] } }, true)).toBe('Up 3 minutes (unhealthy)');
    expect(at({ Status: 'running', Running: true, ...started }, true)).toBe('Up 3 minutes (health: starting)');
    expect(at({ Status: 'restarting', Running: true, Restarting: true, ExitCode: 1, ...started, FinishedAt: '2026-01-01T00:02:58Z' })).toBe('Restarting (1) 2 seconds ago');
    expect(at({ Status: 'exited', ExitCode: 0, ...started, FinishedAt: '2026-01-01T00:02:58Z' })).toBe('Exited (0) 2 seconds ago');
    expect(at({ Status: 'exited', ExitCode: 127 })).toBe('Exited (127)');
    expect(at({})).toBe('Created');
    expect(at({ Status: 'dead', Dead: true, ...started })).toBe('Dead');
    expect(at({ Status: 'removing', ...started })).toBe('Removal In Progress');
  });
});
