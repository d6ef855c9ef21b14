/** Address leases: allocation order, --ip, release, exhaustion, reaping, and concurrent allocators. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ipam } from '../../src/network/ipam.js';
import { NetworkStore, newNetworkId, newRecord } from '../../src/network/store.js';
import { repoRoot } from '../helpers/env.js';

let root: string;
let store: NetworkStore;
let ipam: Ipam;

async function network(subnet: string, gateway: string): Promise<string> {
  const id = newNetworkId();
  await store.save(newRecord(id, { name: `n-${id.slice(0, 6)}`, driver: 'bridge', ipam: { Subnet: subnet, Gateway: gateway } }));
  return id;
}

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'berth-ipam-'));
  store = new NetworkStore(root, 'unused0', () => Promise.resolve({ Subnet: '10.254.0.0/24', Gateway: '10.254.0.1' }));
  ipam = new Ipam(store);
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('ipam', () => {
  it('gives the lowest free address, skipping the gateway, and the same one again to its holder', async () => {
    const net = await network('10.9.0.0/24', '10.9.0.1');
    expect(await ipam.allocate(net, 'a')).toBe('10.9.0.2');
    expect(await ipam.allocate(net, 'b')).toBe('10.9.0.3');
    expect(await ipam.allocate(net, 'a')).toBe('10.9.0.2');
    expect(await ipam.holderOf(net, '10.9.0.3')).toBe('b');
    expect(await ipam.holderOf(net, '10.9.0.4')).toBeUndefined();
    expect(await ipam.leases(net)).toEqual([
      { ip: '10.9.0.2', holder: 'a' },
      { ip: '10.9.0.3', holder: 'b' },
    ]);
  });

  it('skips a gateway that is not the first address', async () => {
    const net = await network('10.9.0.0/29', '10.9.0.2');
    expect(await ipam.allocate(net, 'a')).toBe('10.9.0.1');
    expect(await ipam.allocate(net, 'b')).toBe('10.9.0.3');
  });

  it('reuses a released address, lowest first', async () => {
    const net = await network('10.9.0.0/24', '10.9.0.1');
    for (const h of ['a', 'b', 'c']) await ipam.allocate(net, h);
    await ipam.release(net, 'b');
    await ipam.release(net, 'nobody');
    expect(await ipam.holderOf(net, '10.9.0.3')).toBeUndefined();
    expect(await ipam.allocate(net, 'd')).toBe('10.9.0.3');
  });

  it('gives a requested address when free, and refuses one taken, reserved or outside', async () => {
    const net = await network('10.9.0.0/24', '10.9.0.1');
    expect(await ipam.allocate(net, 'a', '10.9.0.50')).toBe('10.9.0.50');
    await expect(ipam.allocate(net, 'b', '10.9.0.50')).rejects.toThrow('Address already in use: 10.9.0.50');
    await expect(ipam.allocate(net, 'b', '10.9.0.1')).rejects.toThrow(/Address already in use/);
    await expect(ipam.allocate(net, 'b', '10.9.0.255')).rejects.toThrow(/Address already in use/);
    await expect(ipam.allocate(net, 'b', '10.8.0.5')).rejects.toThrow("Invalid address 10.8.0.5: It does not belong to any of this network's subnets");
    await expect(ipam.allocate(net, 'b', '10.9.0')).rejects.toThrow('invalid IPv4 address: 10.9.0');
    await expect(ipam.allocate(net, 'a', '10.9.0.51')).rejects.toThrow(/already holds 10.9.0.50/);
    expect(await ipam.allocate(net, 'b')).toBe('10.9.0.2');
  });

  it('says the pool is exhausted, and leaves no temp file behind', async () => {
    const net = await network('10.9.0.0/29', '10.9.0.1');
    const got = [];
    for (const h of ['a', 'b', 'c', 'd', 'e']) got.push(await ipam.allocate(net, h));
    expect(got).toEqual(['10.9.0.2', '10.9.0.3', '10.9.0.4', '10.9.0.5', '10.9.0.6']);
    await expect(ipam.allocate(net, 'f')).rejects.toThrow(/no available addresses on this pool/);
    expect(readdirSync(path.join(store.networkDir(net), 'leases')).sort()).toEqual(got);
  });

  it('refuses a network that does not exist', async () => {
    await expect(ipam.allocate(newNetworkId(), 'a')).rejects.toThrow(/not found/);
  });

  it("reaps the leases of holders that are gone and dead allocators' temp files", async () => {
    const net = await network('10.9.0.0/24', '10.9.0.1');
    const other = await network('10.10.0.0/24', '10.10.0.1');
    await ipam.allocate(net, 'live');
    await ipam.allocate(net, 'dead');
    await ipam.allocate(other, 'dead');
    // A temp file of a process that no longer runs (pid 1's start time is never 1).
    const stale = path.join(store.networkDir(net), 'leases', '.lease.tmp-1.1-abcd1234');
    writeFileSync(stale, 'crashed');
    const dropped = await ipam.reap((h) => h === 'live');
    expect(dropped.map((l) => l.holder)).toEqual(['dead', 'dead']);
    expect(await ipam.leases(net)).toEqual([{ ip: '10.9.0.2', holder: 'live' }]);
    expect(await ipam.leases(other)).toEqual([]);
    expect(existsSync(stale)).toBe(false);
  });

  it('never gives one address twice to concurrent allocations in one process', async () => {
    const net = await network('10.9.0.0/24', '10.9.0.1');
    const ips = await Promise.all(Array.from({ length: 60 }, (_, i) => ipam.allocate(net, `h${i}`)));
    expect(new Set(ips).size).toBe(60);
    expect((await ipam.leases(net)).length).toBe(60);
  });

  it('never gives one address twice to allocations from several processes', async () => {
    const net = await network('10.9.0.0/24', '10.9.0.1');
    const fixture = path.join(repoRoot, 'test', 'fixtures', 'ipam-allocate.ts');
    const viteNode = path.join(repoRoot, 'node_modules', 'vite-node', 'vite-node.mjs');
    const run = (prefix: string): Promise<string[]> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [viteNode, fixture, root, net, prefix, '25'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as string[]) : reject(new Error(`allocator ${prefix} exited ${code}: ${err}`))));
      });
    const results = await Promise.all(['p0', 'p1', 'p2', 'p3'].map(run));
    const all = results.flat();
    expect(all).toHaveLength(100);
    expect(new Set(all).size).toBe(100);
    const leases = await ipam.leases(net);
    expect(leases).toHaveLength(100);
    for (const [i, ips] of results.entries()) for (const ip of ips) expect(leases.find((l) => l.ip === ip)?.holder).toMatch(new RegExp(`^p${i}-`));
  }, 120_000);
});
