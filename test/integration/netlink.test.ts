/**
 * The addon's netns and rtnetlink against the real kernel: a pinned netns, a bridge with the
 * gateway address, a veth pair whose peer is born in the netns as eth0, and a TCP connection
 * from the host to a server inside it. Every object is named with this run's prefix and removed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import { skipIntegration } from '../helpers/env.js';
import { createNetns, openNetns, removeNetns } from '../../src/network/netns.js';
import { Rtnetlink } from '../../src/network/netlink/rtnetlink.js';
import { ConflictError, NotFoundError } from '../../src/errors.js';

const hasIp = spawnSync('ip', ['-V']).status === 0;

function nsenter(nsPath: string, args: string[]): string {
  const r = spawnSync('nsenter', [`--net=${nsPath}`, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nsenter ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function mounted(p: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === p);
}

function range(cidr: string): [number, number] {
  const [ip, len] = cidr.split('/');
  const start = ip!.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(len));
  return [start - (start % size), start - (start % size) + size - 1];
}

/** A /24 in 10.0.0.0/8 that no host address or route (but the default one) overlaps. */
function freeSubnet(host: Rtnetlink): string {
  const used = [...host.listIPv4Addresses().map((a) => a.cidr), ...host.listIPv4Routes().map((r) => r.dst)]
    .filter((c) => c !== '0.0.0.0/0')
    .map(range);
  for (;;) {
    const base = `10.${randomInt(200, 250)}.${randomInt(0, 255)}.`;
    const [lo, hi] = range(`${base}0/24`);
    if (!used.some(([a, b]) => a <= hi && lo <= b)) return base;
  }
}

describe.skipIf(skipIntegration('netlink'))('netns and rtnetlink (real kernel)', () => {
  const tag = randomBytes(3).toString('hex');
  const bridge = `bnt${tag}`;
  const hostVeth = `vnt${tag}`;
  let dir: string;
  let nsPath: string;
  let host: Rtnetlink;
  let base: string;

  beforeAll(() => {
    dir = mkdtempSync('/tmp/berth-it-netlink-');
    nsPath = path.join(dir, 'ns');
    host = Rtnetlink.open();
    base = freeSubnet(host);
  });

  afterAll(() => {
    host.deleteLink(hostVeth);
    host.deleteLink(bridge);
    removeNetns(nsPath);
    host.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pins a new netns on a file, with only lo in it, up', () => {
    createNetns(nsPath);
    expect(mounted(nsPath)).toBe(true);
    const ns = Rtnetlink.open(nsPath);
    try {
      expect(ns.listLinks()).toEqual([{ name: 'lo', index: 1, mtu: 65536, up: true }]);
      expect(ns.listIPv4Addresses()).toEqual([{ ifname: 'lo', cidr: '127.0.0.1/8' }]);
    } finally {
      ns.close();
    }
    // A namespace of its own, not the test process's.
    expect(nsenter(nsPath, ['readlink', '/proc/self/ns/net']).trim()).not.toBe(readlinkSync('/proc/self/ns/net'));
    expect(() => createNetns(nsPath)).toThrow(ConflictError);
    expect(() => createNetns(path.join(dir, 'no', 'ns'))).toThrow(NotFoundError);
    expect(existsSync(path.join(dir, 'no'))).toBe(false);
  });

  it('builds a bridge, a veth into the netns as eth0, addresses and a default route', () => {
    host.createBridge(bridge, { mtu: 1500 });
    expect(() => host.createBridge(bridge)).toThrow(ConflictError);
    host.addAddress(bridge, `${base}1/24`);
    host.setUp(bridge);
    host.createVethPair(hostVeth, 'eth0', { peerNetns: nsPath, mtu: 1400, peerMac: '02:42:0a:00:00:02' });
    host.setMaster(hostVeth, bridge);
    host.setUp(hostVeth);

    const ns = Rtnetlink.open(nsPath);
    try {
      ns.addAddress('eth0', `${base}2/24`);
      ns.setUp('eth0');
      ns.addDefaultRoute(`${base}1`);
      expect(ns.listLinks().find((l) => l.name === 'eth0')).toMatchObject({ kind: 'veth', mtu: 1400, up: true });
      expect(ns.listIPv4Addresses()).toContainEqual({ ifname: 'eth0', cidr: `${base}2/24` });
      expect(ns.listIPv4Routes()).toEqual(expect.arrayContaining([
        { dst: '0.0.0.0/0', gateway: `${base}1`, ifname: 'eth0' },
        { dst: `${base}0/24`, ifname: 'eth0' },
      ]));
    } finally {
      ns.close();
    }
    const links = host.listLinks();
    expect(links.find((l) => l.name === bridge)).toMatchObject({ kind: 'bridge', up: true });
    expect(links.find((l) => l.name === hostVeth)).toMatchObject({ kind: 'veth', master: bridge, mtu: 1400 });
    expect(links.some((l) => l.name === 'eth0' && l.kind === 'veth')).toBe(false);
    expect(host.listIPv4Addresses()).toContainEqual({ ifname: bridge, cidr: `${base}1/24` });
    expect(host.listIPv4Routes()).toContainEqual({ dst: `${base}0/24`, ifname: bridge });
  });

  it.skipIf(!hasIp)('shows the same to `ip` inside the netns', () => {
    const addr = nsenter(nsPath, ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']);
    expect(addr).toContain(`inet ${base}2/24 brd ${base}255`);
    expect(nsenter(nsPath, ['ip', 'link', 'show', 'eth0'])).toMatch(/link\/ether 02:42:0a:00:00:02/);
    expect(nsenter(nsPath, ['ip', '-4', 'route'])).toContain(`default via ${base}1 dev eth0`);
  });

  it('carries a TCP connection from the host to a server in the netns', async () => {
    const server: ChildProcess = spawn('nsenter', [
      `--net=${nsPath}`, process.execPath, '-e',
      `require('net').createServer((s) => s.end('pong')).listen(5599, '${base}2', () => console.log('ready'))`,
    ], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        server.stdout!.once('data', () => resolve());
        server.once('exit', (code) => reject(new Error(`server exited ${code}`)));
      });
      const reply = await new Promise<string>((resolve, reject) => {
        const s = net.connect(5599, `${base}2`);
        let got = '';
        s.on('data', (d: Buffer) => (got += d.toString()));
        s.on('end', () => resolve(got));
        s.on('error', reject);
        s.setTimeout(5000, () => reject(new Error('connect timed out')));
      });
      expect(reply).toBe('pong');
    } finally {
      server.kill('SIGKILL');
    }
  });

  it('opens the netns as an fd for IFLA_NET_NS_FD', () => {
    const fd = openNetns(nsPath);
    try {
      host.createVethPair(`${hostVeth}b`, 'eth1', { peerNetns: fd });
      expect(nsenter(nsPath, ['cat', '/proc/net/dev'])).toContain('eth1:');
      expect(host.deleteLink(`${hostVeth}b`)).toBe(true);
      expect(nsenter(nsPath, ['cat', '/proc/net/dev'])).not.toContain('eth1:');
    } finally {
      closeSync(fd);
    }
  });

  it('removes everything: deleting the host veth takes eth0, and the netns file goes', () => {
    expect(host.deleteLink(hostVeth)).toBe(true);
    expect(host.deleteLink(hostVeth)).toBe(false);
    expect(nsenter(nsPath, ['cat', '/proc/net/dev'])).not.toContain('eth0:');
    expect(host.deleteLink(bridge)).toBe(true);
    expect(host.linkExists(bridge)).toBe(false);
    removeNetns(nsPath);
    removeNetns(nsPath);
    expect(existsSync(nsPath)).toBe(false);
    expect(mounted(nsPath)).toBe(false);
    // A file never mounted (left by a crash between open and mount) is just unlinked.
    writeFileSync(nsPath, '');
    removeNetns(nsPath);
    expect(existsSync(nsPath)).toBe(false);
  });
});
