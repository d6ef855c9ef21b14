/**
 * Networks through the Engine and the NetworkManager with a fake bridge driver: the predefined
 * networks, create/ls/inspect/rm/prune, their filters and refusals, and what a failed bridge leaves.
 */
import { endpointSettings, type EndpointSettings } from '../../src/container/record.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Engine } from '../../src/engine.js';
import { NetworkManager, type AttachedContainer } from '../../src/network/manager.js';
import { attachedContainers } from '../../src/network/attached.js';
import type { BridgeDriver } from '../../src/network/types.js';

/** Bridges in a map; the host's CIDRs are its fixed routes plus the bridges' gateway addresses. */
class FakeBridgeDriver implements BridgeDriver {
  readonly bridges = new Map<string, string>();
  hostCidrCalls = 0;
  failCreate = false;
  constructor(private readonly routes: string[] = ['0.0.0.0/0', '127.0.0.1/8', '172.17.0.1/16']) {}
  async hostCidrs(): Promise<string[]> {
    this.hostCidrCalls++;
    return [...this.routes, ...this.bridges.values()];
  }
  async createBridge(bridge: string, gatewayCidr: string): Promise<void> {
    if (this.failCreate) throw new Error(`RTM_NEWLINK ${bridge}: EPERM`);
    this.bridges.set(bridge, gatewayCidr);
  }
  async removeBridge(bridge: string): Promise<void> {
    this.bridges.delete(bridge);
  }
}

let root: string;
let driver: FakeBridgeDriver;
let engine: Engine;

function newEngine(opts: { subnet?: string } = {}): Engine {
  return new Engine({ root, runRoot: path.join(root, 'run'), bridgeDriver: driver, defaultBridge: { name: 'btest0', ...opts } });
}

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'berth-net-'));
  driver = new FakeBridgeDriver();
  engine = newEngine();
});
afterEach(async () => {
  await engine.close();
  rmSync(root, { recursive: true, force: true });
});

const names = async (filters: Record<string, string[]> = {}): Promise<string[]> => (await engine.listNetworks(filters)).map((n) => n.Name);

describe('predefined networks', () => {
  it('are bridge, host and none, the bridge on a subnet nothing on the host uses', async () => {
    const all = await engine.listNetworks();
    expect(all.map((n) => [n.Name, n.Driver])).toEqual([
      ['bridge', 'bridge'],
      ['host', 'host'],
      ['none', 'null'],
    ]);
    const bridge = all[0]!;
    expect(bridge.Id).toMatch(/^[0-9a-f]{64}$/);
    expect(bridge.IPAM).toEqual({ Driver: 'default', Options: {}, Config: [{ Subnet: '172.18.0.0/16', Gateway: '172.18.0.1' }] });
    expect(bridge.Options).toMatchObject({
      'com.docker.network.bridge.name': 'btest0',
      'com.docker.network.bridge.default_bridge': 'true',
      'com.docker.network.bridge.enable_icc': 'true',
      'com.docker.network.bridge.enable_ip_masquerade': 'true',
    });
    expect(all[1]!.IPAM.Config).toEqual([]);
    expect(all[2]!.Options).toEqual({});
  });

  it('take the configured default subnet', async () => {
    engine = newEngine({ subnet: '10.123.0.0/24' });
    expect((await engine.inspectNetwork('bridge')).IPAM.Config).toEqual([{ Subnet: '10.123.0.0/24', Gateway: '10.123.0.1' }]);
    expect(driver.hostCidrCalls).toBe(0);
  });

  it('are made once, however many engines use the root first at once', async () => {
    const engines = [engine, newEngine(), newEngine()];
    const lists = await Promise.all(engines.map((e) => e.listNetworks()));
    expect(readdirSync(path.join(root, 'networks'))).toHaveLength(3);
    for (const l of lists) expect(l.map((n) => n.Id)).toEqual(lists[0]!.map((n) => n.Id));
    await Promise.all(engines.slice(1).map((e) => e.close()));
  });

  it('cannot be removed, with docker\'s message', async () => {
    for (const n of ['bridge', 'host', 'none']) await expect(engine.removeNetwork(n)).rejects.toThrow(`${n} is a pre-defined network and cannot be removed`);
    expect(await names()).toEqual(['bridge', 'host', 'none']);
  });
});

describe('network create', () => {
  it("makes a bridge network: docker's record, a bridge named by its id with the gateway on it", async () => {
    const { Id, Warning } = await engine.createNetwork({ name: 'app', labels: { tier: 'web' }, internal: true, attachable: true });
    expect(Id).toMatch(/^[0-9a-f]{64}$/);
    expect(Warning).toBe('');
    const n = await engine.inspectNetwork('app');
    expect(Object.keys(n)).toEqual([
      'Name', 'Id', 'Created', 'Scope', 'Driver', 'EnableIPv6', 'IPAM', 'Internal', 'Attachable', 'Ingress', 'ConfigFrom', 'ConfigOnly', 'Containers', 'Options', 'Labels',
    ]);
    expect(n).toMatchObject({
      Name: 'app',
      Id,
      Scope: 'local',
      Driver: 'bridge',
      EnableIPv6: false,
      IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: '172.19.0.0/16', Gateway: '172.19.0.1' }] },
      Internal: true,
      Attachable: true,
      Ingress: false,
      ConfigFrom: { Network: '' },
      ConfigOnly: false,
      Containers: {},
      Options: { 'com.docker.network.bridge.name': `berth-${Id.slice(0, 9)}` },
      Labels: { tier: 'web' },
    });
    expect(n.Created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(Math.abs(Date.parse(n.Created) - Date.now())).toBeLessThan(60_000);
    expect([...driver.bridges]).toEqual([[`berth-${Id.slice(0, 9)}`, '172.19.0.1/16']]);
  });

  it('takes a subnet and gateway, and finds the network by full id and unique id prefix', async () => {
    const { Id } = await engine.createNetwork({ name: 'fixed', subnet: '10.77.0.0/24', gateway: '10.77.0.254' });
    expect([...driver.bridges.values()]).toEqual(['10.77.0.254/24']);
    expect((await engine.inspectNetwork(Id)).Name).toBe('fixed');
    expect((await engine.inspectNetwork(Id.slice(0, 12))).Name).toBe('fixed');
    expect((await engine.inspectNetwork('fixed')).IPAM.Config).toEqual([{ Subnet: '10.77.0.0/24', Gateway: '10.77.0.254' }]);
  });

  it('picks the next free pool for each network, skipping the ones in use', async () => {
    await engine.createNetwork({ name: 'a' });
    await engine.createNetwork({ name: 'b', subnet: '172.20.0.0/16' });
    await engine.createNetwork({ name: 'c' });
    const subnet = async (n: string): Promise<string> => (await engine.inspectNetwork(n)).IPAM.Config[0]!.Subnet;
    expect([await subnet('a'), await subnet('c')]).toEqual(['172.19.0.0/16', '172.21.0.0/16']);
  });

  it('refuses a taken name, an overlapping subnet, a bad name and drivers other than bridge', async () => {
    await engine.createNetwork({ name: 'app', subnet: '10.77.0.0/16' });
    await expect(engine.createNetwork({ name: 'app' })).rejects.toThrow('network with name app already exists');
    await expect(engine.createNetwork({ name: 'other', subnet: '10.77.3.0/24' })).rejects.toThrow('Pool overlaps with other one on this address space');
    await expect(engine.createNetwork({ name: 'other', subnet: '172.18.0.0/24' })).rejects.toThrow(/Pool overlaps/);
    await expect(engine.createNetwork({ name: 'bad name' })).rejects.toThrow(/invalid network name "bad name"/);
    await expect(engine.createNetwork({ name: 'h', driver: 'host' })).rejects.toThrow('only one instance of "host" network is allowed');
    await expect(engine.createNetwork({ name: 'o', driver: 'overlay' })).rejects.toThrow('plugin "overlay" not found');
    expect(await names()).toEqual(['app', 'bridge', 'host', 'none']);
  });

  it('leaves no record and no dir behind when the bridge cannot be made', async () => {
    await engine.listNetworks();
    driver.failCreate = true;
    await expect(engine.createNetwork({ name: 'broken' })).rejects.toThrow(/EPERM/);
    expect(await names()).toEqual(['bridge', 'host', 'none']);
    expect(readdirSync(path.join(root, 'networks'))).toHaveLength(3);
    expect(driver.bridges.size).toBe(0);
  });
});

describe('network ls filters', () => {
  beforeEach(async () => {
    await engine.createNetwork({ name: 'front', labels: { tier: 'web', env: 'prod' } });
    await engine.createNetwork({ name: 'back', labels: { tier: 'db' } });
  });

  it('match name and id substrings, labels, driver, scope and type', async () => {
    const back = await engine.inspectNetwork('back');
    expect(await names({ name: ['ront'] })).toEqual(['front']);
    expect(await names({ name: ['front', 'back'] })).toEqual(['back', 'front']);
    expect(await names({ id: [back.Id.slice(0, 10)] })).toEqual(['back']);
    expect(await names({ label: ['tier'] })).toEqual(['back', 'front']);
    expect(await names({ label: ['tier=web', 'env=prod'] })).toEqual(['front']);
    expect(await names({ label: ['tier=web', 'env=dev'] })).toEqual([]);
    expect(await names({ driver: ['null', 'host'] })).toEqual(['host', 'none']);
    expect(await names({ scope: ['local'] })).toHaveLength(5);
    expect(await names({ type: ['custom'] })).toEqual(['back', 'front']);
    expect(await names({ type: ['builtin'] })).toEqual(['bridge', 'host', 'none']);
    expect(await names({ dangling: ['true'] })).toEqual(['back', 'front']);
    expect(await names({ dangling: ['false'] })).toEqual(['bridge', 'host', 'none']);
  });

  it('refuse unknown filters and values', async () => {
    await expect(engine.listNetworks({ color: ['red'] })).rejects.toThrow("invalid filter 'color'");
    await expect(engine.listNetworks({ type: ['mine'] })).rejects.toThrow("invalid filter 'type=mine'");
    await expect(engine.listNetworks({ dangling: ['maybe'] })).rejects.toThrow("invalid filter 'dangling=maybe'");
  });
});

describe('network rm and prune', () => {
  it('rm removes the record and the bridge; an unknown network is not found', async () => {
    const { Id } = await engine.createNetwork({ name: 'gone' });
    await engine.removeNetwork('gone');
    expect(driver.bridges.size).toBe(0);
    expect(readdirSync(path.join(root, 'networks'))).not.toContain(Id);
    await expect(engine.inspectNetwork('gone')).rejects.toThrow('network gone not found');
    await expect(engine.removeNetwork('gone')).rejects.toThrow('network gone not found');
  });

  it('prune removes the unused user networks only, as its filters say', async () => {
    await engine.createNetwork({ name: 'keep', labels: { keep: '1' } });
    await engine.createNetwork({ name: 'drop1' });
    await engine.createNetwork({ name: 'drop2' });
    expect(await engine.pruneNetworks({ filters: { until: ['1000000000'] } })).toEqual({ deleted: [] });
    expect(await engine.pruneNetworks({ filters: { 'label!': ['keep'] } })).toEqual({ deleted: ['drop1', 'drop2'] });
    expect(await engine.pruneNetworks({ filters: { label: ['keep=2'] } })).toEqual({ deleted: [] });
    await expect(engine.pruneNetworks({ filters: { until: ['soon'] } })).rejects.toThrow("invalid filter 'until=soon'");
    await expect(engine.pruneNetworks({ filters: { name: ['x'] } })).rejects.toThrow("invalid filter 'name'");
    expect(await engine.pruneNetworks()).toEqual({ deleted: ['keep'] });
    expect(await names()).toEqual(['bridge', 'host', 'none']);
    expect(driver.bridges.size).toBe(0);
  });
});

describe('networks with containers attached', () => {
  let attached: Map<string, AttachedContainer[]>;
  let manager: NetworkManager;

  beforeEach(() => {
    attached = new Map();
    manager = new NetworkManager(root, {
      driver,
      defaultBridge: { name: 'btest0' },
      users: { attachedContainers: async (id) => attached.get(id) ?? [], locked: (fn) => fn() },
    });
  });

  it('are shown with their endpoints, kept by rm and prune, and not dangling', async () => {
    const { Id } = await manager.create({ name: 'busy' });
    await manager.create({ name: 'idle' });
    const c = 'c'.repeat(64);
    attached.set(Id, [{ id: c, name: 'web', endpointId: 'e'.repeat(64), macAddress: '02:42:ac:13:00:02', ipv4Address: '172.19.0.2/16' }]);
    expect((await manager.inspect('busy')).Containers).toEqual({
      [c]: { Name: 'web', EndpointID: 'e'.repeat(64), MacAddress: '02:42:ac:13:00:02', IPv4Address: '172.19.0.2/16', IPv6Address: '' },
    });
    await expect(manager.remove('busy')).rejects.toThrow(`error while removing network: network busy id ${Id} has active endpoints`);
    expect((await manager.list({ dangling: ['true'] })).map((n) => n.Name)).toEqual(['idle']);
    expect(await manager.prune()).toEqual({ deleted: ['idle'] });
    expect((await manager.list()).map((n) => n.Name)).toEqual(['bridge', 'busy', 'host', 'none']);
  });
});

describe('attachedContainers', () => {
  it("reads the containers' NetworkSettings.Networks; a container on other networks, or none, is not listed", () => {
    const net = 'a'.repeat(64);
    const ep = (over: Partial<EndpointSettings>): EndpointSettings => endpointSettings.parse({ NetworkID: net, ...over });
    type Rec = Parameters<typeof attachedContainers>[0][number];
    const records: Rec[] = [
      { Id: '1'.repeat(64), Name: '/web', NetworkSettings: { Ports: {}, Networks: { app: ep({ EndpointID: 'ep', IPAddress: '10.1.0.2', IPPrefixLen: 24, MacAddress: 'm' }) } } },
      { Id: '2'.repeat(64), Name: '/db', NetworkSettings: { Ports: {}, Networks: { other: ep({ NetworkID: 'b'.repeat(64) }) } } },
      { Id: '3'.repeat(64), Name: '/plain', NetworkSettings: { Ports: {}, Networks: {} } },
      { Id: '4'.repeat(64), Name: '/starting', NetworkSettings: { Ports: {}, Networks: { app: ep({}) } } },
    ];
    expect(attachedContainers(records, net)).toEqual([
      { id: '1'.repeat(64), name: 'web', endpointId: 'ep', macAddress: 'm', ipv4Address: '10.1.0.2/24' },
      { id: '4'.repeat(64), name: 'starting', endpointId: '', macAddress: '', ipv4Address: '' },
    ]);
  });
});
