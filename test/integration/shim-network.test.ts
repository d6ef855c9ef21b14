/**
 * The shim's network keys, through the runtime (startShim) since the Engine does not pass them
 * yet: `netns=PATH` joins a netns made by netnsCreate with a veth in it, and `port` holds host
 * ports while the container runs, failing the start with docker's message when one is taken.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';
import path from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import { skipIntegration } from '../helpers/env.js';
import { busyboxTar } from '../helpers/berth.js';
import { startShim } from '../../src/runtime/supervisor.js';
import type { ShimSpec } from '../../src/runtime/shim-spec.js';
import { AttachSession } from '../../src/runtime/attach.js';
import { createNetns, removeNetns } from '../../src/network/netns.js';
import { Rtnetlink } from '../../src/network/netlink/rtnetlink.js';
import { BerthError } from '../../src/errors.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Listens on the port and closes again: the error code when that fails, undefined when it worked. */
function tryListen(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(undefined)));
  });
}

function tryBindUdp(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', (err: NodeJS.ErrnoException) => {
      s.close();
      resolve(err.code);
    });
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(undefined)));
  });
}

describe.skipIf(skipIntegration('shim network keys'))('berth-shim netns=PATH and port', () => {
  const tag = randomBytes(3).toString('hex');
  const hostVeth = `vsn${tag}`;
  const subnet = `10.${randomInt(200, 250)}.${randomInt(0, 255)}.`;
  let dir: string;
  let lower: string;
  let nsPath: string;
  let count = 0;

  beforeAll(() => {
    dir = mkdtempSync('/tmp/berth-it-shimnet-');
    busyboxTar(dir);
    lower = path.join(dir, 'busybox-rootfs');
    nsPath = path.join(dir, 'netns');
    createNetns(nsPath);
    const host = Rtnetlink.open();
    try {
      host.createVethPair(hostVeth, 'eth0', { peerNetns: nsPath });
    } finally {
      host.close();
    }
    const ns = Rtnetlink.open(nsPath);
    try {
      ns.addAddress('eth0', `${subnet}2/24`);
      ns.setUp('eth0');
    } finally {
      ns.close();
    }
  });

  afterAll(() => {
    const host = Rtnetlink.open();
    try {
      host.deleteLink(hostVeth);
    } finally {
      host.close();
    }
    removeNetns(nsPath);
    rmSync(dir, { recursive: true, force: true });
  });

  /** A spec for a busybox container of its own dirs under the suite's. */
  function spec(args: string[], extra: Partial<ShimSpec>): { file: string; spec: ShimSpec } {
    const c = path.join(dir, `c${++count}`);
    for (const d of ['rootfs', 'upper', 'work']) mkdirSync(path.join(c, d), { recursive: true });
    return {
      file: path.join(c, 'spec'),
      spec: {
        id: randomBytes(32).toString('hex'), rootfs: path.join(c, 'rootfs'), lowerDirs: [lower], upperDir: path.join(c, 'upper'),
        workDir: path.join(c, 'work'), readonlyRootfs: false, hostname: 'netc', args, env: ['PATH=/bin'], cwd: '/', user: '',
        capabilities: [], noNewPrivileges: true, network: 'new', maskedPaths: [], readonlyPaths: [], binds: [], sysfsReadWrite: false,
        cgroupProcs: [], cgroupTasks: [], tty: false, stdin: false, exitFile: path.join(c, 'exit'), socket: path.join(c, 'sock'),
        exitCommand: [], ...extra,
      },
    };
  }

  /** Starts the container and gives its pid, its output so far and its exit. */
  async function run(args: string[], extra: Partial<ShimSpec>): Promise<{ pid: number; output: () => string; exited: Promise<number> }> {
    const s = spec(args, extra);
    await startShim(s.file, s.spec);
    const session = await AttachSession.connect(s.spec.socket, { stdout: true, stderr: true, stdin: false, cleanup: true });
    let out = '';
    session.stdout.on('data', (d: Buffer) => (out += d.toString()));
    session.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const pid = await session.start();
    return { pid, output: () => out, exited: session.exited.then((e) => e.exitCode) };
  }

  it('joins the netns file: the container sees the veth put there, and lo up', async () => {
    const c = await run(['sh', '-c', 'cat /proc/net/dev; busybox ip -4 addr show dev eth0; busybox ip link show lo'], {
      network: { path: nsPath },
    });
    expect(await c.exited, c.output()).toBe(0);
    expect(c.output()).toMatch(/^\s*eth0:/m);
    expect(c.output()).toContain(`inet ${subnet}2/24`);
    expect(c.output()).toMatch(/lo: <LOOPBACK,UP/);
    const fresh = await run(['cat', '/proc/net/dev'], { network: 'new' });
    expect(await fresh.exited).toBe(0);
    expect(fresh.output()).toMatch(/^\s*lo:/m);
    expect(fresh.output()).not.toMatch(/eth0:/);
  });

  it('refuses to join a file that is not a netns', async () => {
    const notNs = path.join(dir, 'not-a-netns');
    writeFileSync(notNs, '');
    const s = spec(['true'], { network: { path: notNs } });
    await expect(startShim(s.file, s.spec)).rejects.toThrow(`setns netns ${notNs}: invalid argument`);
  });

  it('holds the reserved tcp and udp ports while the container runs, and frees them when it exits', async () => {
    const port = await freePort();
    const c = await run(['sleep', '30'], {
      portReservations: [
        { protocol: 'tcp', hostIp: '127.0.0.1', hostPort: port },
        { protocol: 'udp', hostIp: '127.0.0.1', hostPort: port },
      ],
    });
    expect(await tryListen(port)).toBe('EADDRINUSE');
    expect(await tryBindUdp(port)).toBe('EADDRINUSE');
    process.kill(c.pid, 'SIGKILL');
    expect(await c.exited).toBe(137);
    expect(await tryListen(port)).toBeUndefined();
    expect(await tryBindUdp(port)).toBeUndefined();
  });

  it("fails the start with docker's message when the host port is taken, leaving nothing", async () => {
    const port = await freePort();
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', resolve));
    try {
      const s = spec(['true'], { portReservations: [{ protocol: 'tcp', hostIp: '127.0.0.1', hostPort: port }] });
      const err = await startShim(s.file, s.spec).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(BerthError);
      expect((err as BerthError).message).toBe(`Bind for 127.0.0.1:${port} failed: port is already allocated`);
      expect((err as BerthError).exitCode).toBe(125);
      expect(existsSync(s.spec.socket)).toBe(false);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
