/**
 * berth's nftables table on the real kernel: applied and read back, replaced whole, deleted,
 * with other tables left alone; and end to end, with test-owned netns behind veth pairs as
 * containers: published ports reached from loopback, the gateway and the container itself,
 * and forwarding between berth's bridges dropped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { applyRuleset, deleteTable, findNft } from '../../src/network/nftables.js';
import { renderRuleset } from '../../src/network/nft-ruleset.js';
import { hostPortIsFree } from '../../src/network/port-allocation.js';
import { InternalError } from '../../src/errors.js';
import type { NatEndpoint, NatNetwork } from '../../src/network/types.js';
import { isRoot } from '../helpers/env.js';

const run = promisify(execFile);
const nft = findNft();

function skipReason(): string | undefined {
  if (!isRoot) return 'nftables tests need root (they load rules into the kernel)';
  if (nft === undefined) return 'nft is not installed (apt-get install nftables)';
  return undefined;
}

function skip(suite: string): boolean {
  const reason = skipReason();
  if (reason) process.stderr.write(`SKIPPED ${suite}: ${reason}\n`);
  return reason !== undefined;
}

interface NftRule {
  chain: string;
  expr: unknown[];
}

async function nftJson(...args: string[]): Promise<Array<Record<string, unknown>>> {
  const { stdout } = await run(nft ?? 'nft', ['-j', ...args]);
  return (JSON.parse(stdout) as { nftables: Array<Record<string, unknown>> }).nftables;
}

async function tableNames(): Promise<string[]> {
  return (await nftJson('list', 'tables')).flatMap((o) => {
    const t = o.table as { family: string; name: string } | undefined;
    return t === undefined ? [] : [`${t.family} ${t.name}`];
  });
}

async function rules(table: string): Promise<NftRule[]> {
  return (await nftJson('list', 'table', 'ip', table)).flatMap((o) => (o.rule === undefined ? [] : [o.rule as NftRule]));
}

async function chains(table: string): Promise<string[]> {
  return (await nftJson('list', 'table', 'ip', table)).flatMap((o) => (o.chain === undefined ? [] : [(o.chain as { name: string }).name]));
}

function dnatTargets(list: NftRule[]): string[] {
  return list
    .filter((r) => r.chain === 'published')
    .flatMap((r) => r.expr.flatMap((e) => ((e as { dnat?: { addr: string; port: number } }).dnat === undefined ? [] : [e as { dnat: { addr: string; port: number } }])))
    .map((e) => `${e.dnat.addr}:${e.dnat.port}`);
}

const rand = randomBytes(4).toString('hex');

describe.skipIf(skip('nftables'))('nftables table', () => {
  const table = `berth_test_${rand}`;
  const bystander = `berth_test_${rand}_other`;
  const net: NatNetwork = { bridge: `bt${rand.slice(0, 6)}x`, subnet: '10.231.7.0/24', internal: false };
  const endpoint = (ip: string, hostPort: number): NatEndpoint => ({
    bridge: net.bridge,
    ip,
    ports: [{ protocol: 'tcp', hostIp: '0.0.0.0', hostPort, containerPort: 80 }],
  });

  beforeAll(async () => {
    // A table that is not berth's: applying and deleting berth's must leave it as it is.
    await applyRuleset(`table ip ${bystander} {\n\tchain c {\n\t\ttcp dport 9 accept\n\t}\n}\n`);
  });
  afterAll(async () => {
    await deleteTable(table);
    await deleteTable(bystander);
  });

  it('applies the table and reads back its DNAT rule', async () => {
    const before = await tableNames();
    await applyRuleset(renderRuleset(table, [net], [endpoint('10.231.7.2', 18080)]));
    expect(await tableNames()).toEqual(expect.arrayContaining([...before, `ip ${table}`]));
    const list = await rules(table);
    expect(dnatTargets(list)).toEqual(['10.231.7.2:80']);
    const dnat = list.find((r) => r.chain === 'published');
    expect(dnat?.expr[0]).toEqual({ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 18080 } });
    expect(list.filter((r) => r.chain === 'postrouting')).toHaveLength(3);
  });

  it('replaces the whole table on the next apply, with no duplicate', async () => {
    const other = await rules(bystander);
    await applyRuleset(renderRuleset(table, [net], [endpoint('10.231.7.3', 18081), endpoint('10.231.7.4', 18082)]));
    await applyRuleset(renderRuleset(table, [net], [endpoint('10.231.7.3', 18081), endpoint('10.231.7.4', 18082)]));
    expect(dnatTargets(await rules(table))).toEqual(['10.231.7.3:80', '10.231.7.4:80']);
    expect(await chains(table)).toEqual(['prerouting', 'output', 'published', 'postrouting', 'forward']);
    expect(await rules(bystander)).toEqual(other);
  });

  it('keeps the old table when nft refuses the new text, and says why on one line', async () => {
    const bad = renderRuleset(table, [net], []).replace('chain published {', 'chain published {\n\t\tno such rule');
    const err = await applyRuleset(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InternalError);
    expect((err as Error).message).toMatch(/^nft -f failed \(exit 1\): .*Error: syntax error/);
    expect((err as Error).message).not.toContain('\n');
    expect(dnatTargets(await rules(table))).toEqual(['10.231.7.3:80', '10.231.7.4:80']);
  });

  it('deletes the table, and deleting an absent one is fine', async () => {
    await deleteTable(table);
    await deleteTable(table);
    expect(await tableNames()).not.toContain(`ip ${table}`);
    expect(await tableNames()).toContain(`ip ${bystander}`);
  });
});

/** Whether a test subnet overlaps any IPv4 route or address here (tests must not steal a real network's traffic). */
async function subnetInUse(prefix: string): Promise<boolean> {
  const { stdout: routes } = await run('ip', ['-4', 'route', 'show', 'table', 'all']);
  const { stdout: addrs } = await run('ip', ['-4', '-o', 'addr']);
  return routes.includes(prefix) || addrs.includes(prefix);
}

function readAll(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    const sock = connect({ host, port, timeout: 5000 });
    sock.setEncoding('utf8').on('data', (d: string) => (data += d));
    sock.on('end', () => resolve(data));
    sock.on('timeout', () => sock.destroy(new Error(`no answer from ${host}:${port}`)));
    sock.on('error', reject);
  });
}

async function freePort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 10000);
    if ((await hostPortIsFree('tcp', '0.0.0.0', port)) && (await hostPortIsFree('tcp', '127.0.0.1', port))) return port;
  }
}

const forwarding = existsSync('/proc/sys/net/ipv4/ip_forward') && readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim() === '1';

function skipWithoutForwarding(check: string): boolean {
  if (!forwarding) process.stderr.write(`SKIPPED ${check}: net.ipv4.ip_forward is 0 on this host\n`);
  return !forwarding;
}

/** A test-owned "container": a netns with one end of a veth pair, the other end on the host as its "bridge". */
class TestNetns {
  readonly ns: string;
  readonly hostVeth: string;
  private readonly peerVeth: string;

  constructor(
    tag: string,
    readonly prefix: string,
  ) {
    this.ns = `berthtest-${rand}-${tag}`;
    this.hostVeth = `bt${rand.slice(0, 6)}${tag}h`;
    this.peerVeth = `bt${rand.slice(0, 6)}${tag}c`;
  }

  get gateway(): string {
    return `${this.prefix}1`;
  }
  get ip(): string {
    return `${this.prefix}2`;
  }
  get network(): NatNetwork {
    return { bridge: this.hostVeth, subnet: `${this.prefix}0/24`, internal: false };
  }

  async create(): Promise<void> {
    await run('ip', ['netns', 'add', this.ns]);
    await run('ip', ['link', 'add', this.hostVeth, 'type', 'veth', 'peer', 'name', this.peerVeth]);
    await run('ip', ['link', 'set', this.peerVeth, 'netns', this.ns]);
    await run('ip', ['addr', 'add', `${this.gateway}/24`, 'dev', this.hostVeth]);
    await run('ip', ['link', 'set', this.hostVeth, 'up']);
    await run('ip', ['-n', this.ns, 'addr', 'add', `${this.ip}/24`, 'dev', this.peerVeth]);
    await run('ip', ['-n', this.ns, 'link', 'set', this.peerVeth, 'up']);
    await run('ip', ['-n', this.ns, 'link', 'set', 'lo', 'up']);
    await run('ip', ['-n', this.ns, 'route', 'add', 'default', 'via', this.gateway]);
    // DNATed loopback traffic may leave by this link only with route_localnet (as the engine sets on its bridges).
    writeFileSync(`/proc/sys/net/ipv4/conf/${this.hostVeth}/route_localnet`, '1');
  }

  /** Runs a Node script in the netns; the netns has no node of its own to find. */
  async node(script: string, timeout = 10_000): Promise<string> {
    return (await run('ip', ['netns', 'exec', this.ns, process.execPath, '-e', script], { timeout })).stdout;
  }

  spawnNode(script: string): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.ns, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  }

  async remove(): Promise<void> {
    // Deleting the netns deletes the peer, and with it the host end of the pair.
    await run('ip', ['netns', 'del', this.ns]).catch(() => undefined);
    await run('ip', ['link', 'del', this.hostVeth]).catch(() => undefined);
  }
}

async function freePrefix(taken: string[]): Promise<string> {
  for (let i = 0; ; i++) {
    const candidate = `10.${232 + (i % 20)}.${Math.floor(Math.random() * 256)}.`;
    if (!taken.includes(candidate) && !(await subnetInUse(candidate))) return candidate;
  }
}

/** A client in a netns: what the server said, or the error's code. */
const clientScript = (host: string, port: number) =>
  `const s = require('net').connect({ host: '${host}', port: ${port}, timeout: 2000 }); let d = ''; ` +
  `s.setEncoding('utf8').on('data', (c) => (d += c)).on('end', () => process.stdout.write(d)); ` +
  `s.on('timeout', () => { process.stdout.write('TIMEOUT'); s.destroy(); }).on('error', (e) => process.stdout.write(e.code));`;

describe.skipIf(skip('nftables end to end'))('published ports and isolation end to end', () => {
  const table = `berth_test_${rand}_e2e`;
  let web: TestNetns;
  let other: TestNetns;
  let server: ChildProcess | undefined;

  beforeAll(async () => {
    const p1 = await freePrefix([]);
    web = new TestNetns('a', p1);
    other = new TestNetns('b', await freePrefix([p1]));
    await web.create();
    await other.create();
    const child = web.spawnNode(`require('net').createServer((s) => s.end('hello ' + s.remoteAddress)).listen(80, '0.0.0.0', () => console.log('ready'))`);
    server = child;
    await new Promise<void>((resolve, reject) => {
      child.stdout?.setEncoding('utf8').on('data', (d: string) => d.includes('ready') && resolve());
      child.once('exit', (code) => reject(new Error(`test server in ${web.ns} exited (${code})`)));
    });
  });

  afterAll(async () => {
    if (server?.pid !== undefined && server.exitCode === null) {
      const exited = new Promise((r) => server?.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    await deleteTable(table);
    await web.remove();
    await other.remove();
    const { stdout } = await run('ip', ['-o', 'link']);
    expect(stdout).not.toContain(`bt${rand.slice(0, 6)}`);
    expect((await run('ip', ['netns', 'list'])).stdout).not.toContain(`berthtest-${rand}`);
  });

  it('reaches the container from loopback, from the host via the gateway, and from the container itself', async () => {
    const loopbackPort = await freePort();
    const gatewayPort = await freePort();
    await applyRuleset(
      renderRuleset(table, [web.network], [
        {
          bridge: web.hostVeth,
          ip: web.ip,
          ports: [
            { protocol: 'tcp', hostIp: '127.0.0.1', hostPort: loopbackPort, containerPort: 80 },
            { protocol: 'tcp', hostIp: web.gateway, hostPort: gatewayPort, containerPort: 80 },
          ],
        },
      ]),
    );
    // The server sees the masqueraded gateway address, not 127.0.0.1 it could not answer.
    expect(await readAll('127.0.0.1', loopbackPort)).toBe(`hello ${web.gateway}`);
    expect(await readAll(web.gateway, gatewayPort)).toBe(`hello ${web.gateway}`);
    // Only the address the port is published on is redirected.
    await expect(readAll(web.gateway, loopbackPort)).rejects.toThrow(/ECONNREFUSED/);

    if (skipWithoutForwarding('hairpin check')) return;
    expect(await web.node(clientScript(web.gateway, gatewayPort))).toBe(`hello ${web.gateway}`);
  });

  it.skipIf(skipWithoutForwarding('isolation check'))('forwards to a link that is not berth’s, drops between two berth bridges and out of an internal one', async () => {
    await applyRuleset(renderRuleset(table, [web.network], []));
    expect(await other.node(clientScript(web.ip, 80))).toBe(`hello ${other.ip}`);
    await applyRuleset(renderRuleset(table, [web.network, other.network], []));
    expect(await other.node(clientScript(web.ip, 80))).toBe('TIMEOUT');
    await applyRuleset(renderRuleset(table, [{ ...web.network, internal: true }], []));
    expect(await other.node(clientScript(web.ip, 80))).toBe('TIMEOUT');
  });
});
