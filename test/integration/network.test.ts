/**
 * Networking through the CLI binary, with real containers on the test root's own bridge:
 * published ports (TCP and UDP) reached from the host's loopback, through the bridge's gateway
 * and from another container (hairpin); user networks with names and aliases, isolation,
 * --internal, --link, --network container:C, connect/disconnect, and nothing left behind.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { busyboxSuite } from '../helpers/berth.js';
import { repoRoot, skipIntegration } from '../helpers/env.js';
import { vethName } from '../../src/network/container-network.js';
import { natTableName } from '../../src/network/root-names.js';

/** GETs a URL from the host with curl; '' when nothing answered. */
function curl(url: string): string {
  const r = spawnSync('curl', ['-s', '--max-time', '3', url], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout : '';
}

async function eventually<T>(fn: () => T, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  let v = fn();
  while (!ok(v) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    v = fn();
  }
  return v;
}

/** A free TCP port on the host's loopback (bound and let go). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/**
 * A container command GETting http://HOST:PORT/ with busybox nc (busybox's wget crashes on
 * these hosts' static builds), printing the response; fails when nothing answers.
 */
function httpGet(host: string, port = 80): string[] {
  return ['sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${host} ${port}`];
}

const HTTPD = ['sh', '-c', 'mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && exec httpd -f -p 80 -h /www'];

function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

function skipNetwork(): boolean {
  if (skipIntegration('networking')) return true;
  if (hasTool('nft') && hasTool('curl') && hasTool('ip')) return false;
  process.stderr.write('SKIPPED networking: nft, curl and ip are needed (apt-get install nftables curl iproute2)\n');
  return true;
}

describe.skipIf(skipNetwork())(
  'networking',
  () => {
    const suite = busyboxSuite();
    const ok = (args: string[]): string => {
      const r = suite().t.cli(args);
      if (r.code !== 0) throw new Error(`berth ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      return r.stdout;
    };
    const gateway = (): string => suite().t.subnet.replace(/0\/24$/, '1');
    const inspect = (c: string, tmpl: string): string => ok(['inspect', '-f', tmpl, c]).trim();
    const servers: Server[] = [];

    afterAll(async () => {
      for (const s of servers) await new Promise((r) => s.close(r));
    });

    it('publishes a port on loopback and on the gateway, reachable from another container too', async () => {
      const { img } = suite();
      const lo = await freePort();
      const any = await freePort();
      ok(['run', '-d', '--name', 'web', '-p', `127.0.0.1:${lo}:80`, '-p', `${any}:80`, img, ...HTTPD]);
      const ip = inspect('web', '{{.NetworkSettings.IPAddress}}');
      expect(ip.startsWith(suite().t.subnet.replace(/0\/24$/, ''))).toBe(true);
      const hostname = inspect('web', '{{.Config.Hostname}}');
      expect(await eventually(() => curl(`http://127.0.0.1:${lo}/`), (s) => s !== '')).toBe(`hello from ${hostname}\n`);
      expect(curl(`http://${gateway()}:${any}/`)).toBe(`hello from ${hostname}\n`);
      expect(curl(`http://${ip}:80/`)).toBe(`hello from ${hostname}\n`);
      // Bound to 127.0.0.1 only: the gateway address does not answer on that port.
      expect(curl(`http://${gateway()}:${lo}/`)).toBe('');
      const hairpin = ok(['run', '--rm', img, ...httpGet(gateway(), any)]);
      expect(hairpin).toContain(`hello from ${hostname}\n`);

      expect(ok(['port', 'web']).trim().split('\n').sort()).toEqual([`80/tcp -> 0.0.0.0:${any}`, `80/tcp -> 127.0.0.1:${lo}`].sort());
      expect(ok(['port', 'web', '80']).trim().split('\n').sort()).toEqual([`0.0.0.0:${any}`, `127.0.0.1:${lo}`].sort());
      const missing = suite().t.cli(['port', 'web', '81/tcp']);
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toContain("No public port '81/tcp' published for web");
      expect(ok(['ps', '--format', '{{.Ports}}', '-f', 'name=web'])).toContain(`0.0.0.0:${any}->80/tcp`);
      const ports = JSON.parse(inspect('web', '{{json .NetworkSettings.Ports}}')) as Record<string, unknown>;
      expect(ports['80/tcp']).toEqual(expect.arrayContaining([{ HostIp: '0.0.0.0', HostPort: String(any) }, { HostIp: '127.0.0.1', HostPort: String(lo) }]));
    });

    it('takes everything back at stop and gives the ports back at restart', async () => {
      const { t } = suite();
      const id = inspect('web', '{{.Id}}');
      const netId = inspect('web', '{{.NetworkSettings.Networks.bridge.NetworkID}}');
      const veth = vethName(id, netId);
      const anyPort = (ok(['port', 'web']).match(/0\.0\.0\.0:(\d+)/) ?? [])[1];
      expect(spawnSync('ip', ['link', 'show', veth]).status).toBe(0);
      ok(['stop', '-t', '1', 'web']);
      // The kernel destroys the veth with the container's namespace, just after the stop.
      expect(await eventually(() => spawnSync('ip', ['link', 'show', veth]).status, (s) => s !== 0)).not.toBe(0);
      expect(curl(`http://127.0.0.1:${anyPort}/`)).toBe('');
      const leases = path.join(t.root, 'networks', netId, 'leases');
      expect(existsSync(leases) ? readdirSync(leases) : []).toEqual([]);
      expect(spawnSync('nft', ['list', 'table', 'ip', natTableName(t.root)], { encoding: 'utf8' }).stdout).not.toContain(`dport ${anyPort}`);
      expect(inspect('web', '{{.NetworkSettings.IPAddress}}')).toBe('');

      ok(['start', 'web']);
      expect(await eventually(() => curl(`http://127.0.0.1:${anyPort}/`), (s) => s !== '')).toContain('hello from');
      ok(['rm', '-f', 'web']);
      expect(await eventually(() => spawnSync('ip', ['link', 'show', veth]).status, (s) => s !== 0)).not.toBe(0);
    });

    it('refuses a host port already in use, by another program or by berth, before the container starts', async () => {
      const { t, img } = suite();
      const taken = createServer();
      servers.push(taken);
      await new Promise<void>((r) => taken.listen(0, '0.0.0.0', r));
      const port = (taken.address() as { port: number }).port;
      const r = t.cli(['run', '-d', '--name', 'clash', '-p', `${port}:80`, img, ...HTTPD]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`Bind for 0.0.0.0:${port} failed: port is already allocated`);
      expect(inspect('clash', '{{.State.Running}}')).toBe('false');
      ok(['rm', 'clash']);

      const mine = await freePort();
      ok(['run', '-d', '--name', 'holder', '-p', `${mine}:80`, img, ...HTTPD]);
      const again = t.cli(['run', '-d', '--name', 'second', '-p', `${mine}:80`, img, ...HTTPD]);
      expect(again.code).not.toBe(0);
      expect(again.stderr).toContain('port is already allocated');
      ok(['rm', '-f', 'holder', 'second']);
    });

    it('publishes every exposed port with -P, and UDP', async () => {
      const { t, img } = suite();
      const echo = path.join(repoRoot, 'build', 'Release', 'berth-udp-echo');
      ok(['run', '-d', '--name', 'allp', '-P', '--expose', '80', '--expose', '9999/udp', '-v', `${echo}:/bin/udp-echo:ro`, img, 'sh', '-c', 'udp-echo 9999 & exec httpd -f -p 80 -h /']);
      const lines = ok(['port', 'allp']).trim().split('\n').sort();
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^80\/tcp -> 0\.0\.0\.0:\d+$/);
      expect(lines[1]).toMatch(/^9999\/udp -> 0\.0\.0\.0:\d+$/);
      const udpPort = Number(lines[1]!.split(':')[1]);
      // The echo comes back through the same DNAT (conntrack un-NATs the reply).
      const sock = createSocket('udp4');
      const replies: string[] = [];
      sock.on('message', (m) => replies.push(m.toString()));
      await eventually(
        () => {
          sock.send('ping-over-udp\n', udpPort, '127.0.0.1');
          return replies.length;
        },
        (n) => n > 0,
      );
      sock.close();
      expect(replies[0]).toBe('ping-over-udp\n');
      expect(t.cli(['logs', 'allp']).stdout).toContain('ping-over-udp');
      expect(curl(`http://127.0.0.1:${lines[0]!.split(':')[1]}/`)).not.toBe('');
      ok(['rm', '-f', 'allp']);
    });

    it('finds containers by name and alias on a user network, and keeps networks apart', async () => {
      const { t, img } = suite();
      const base = t.subnet.split('.')[2];
      ok(['network', 'create', '--subnet', `10.232.${base}.0/24`, 'front']);
      ok(['network', 'create', '--subnet', `10.233.${base}.0/24`, 'back']);
      ok(['network', 'create', '--internal', '--subnet', `10.234.${base}.0/24`, 'sealed']);
      ok(['run', '-d', '--name', 'api', '--network', 'front', '--network-alias', 'service', img, ...HTTPD]);
      const apiIp = inspect('api', '{{.NetworkSettings.Networks.front.IPAddress}}');
      expect(apiIp.startsWith(`10.232.${base}.`)).toBe(true);
      const byName = ok(['run', '--rm', '--network', 'front', img, ...httpGet('api')]);
      expect(byName).toContain('hello from');
      expect(ok(['run', '--rm', '--network', 'front', img, ...httpGet('service')])).toContain('hello from');
      expect(ok(['run', '--rm', '--network', 'front', '--ip', `10.232.${base}.50`, img, 'ip', '-4', 'addr', 'show', 'eth0'])).toContain(`inet 10.232.${base}.50/24`);
      const taken = t.cli(['run', '--rm', '--network', 'front', '--ip', apiIp, img, 'true']);
      expect(taken.code).not.toBe(0);
      expect(taken.stderr).toContain(apiIp);
      expect(t.cli(['run', '--rm', '--ip', '10.1.1.1', img, 'true']).stderr).toContain('user specified IP address and aliases are supported only for user defined networks');
      // A later container is added to the hosts of the ones already running.
      ok(['run', '-d', '--name', 'late', '--network', 'front', img, 'sleep', '60']);
      expect(ok(['exec', 'api', 'cat', '/etc/hosts'])).toMatch(/\tlate\b/);
      ok(['rm', '-f', 'late']);
      expect(ok(['exec', 'api', 'cat', '/etc/hosts'])).not.toMatch(/\tlate\b/);

      const isolated = t.cli(['run', '--rm', '--network', 'back', img, ...httpGet(apiIp)]);
      expect(isolated.code).not.toBe(0);
      const routes = ok(['run', '--rm', '--network', 'sealed', img, 'ip', 'route']);
      expect(routes).not.toContain('default');
      expect(ok(['run', '--rm', '--network', 'back', img, 'ip', 'route'])).toContain(`default via 10.233.${base}.1`);

      // connect: api joins back too, and a container there reaches it by name.
      ok(['network', 'connect', '--alias', 'api-back', 'back', 'api']);
      expect(ok(['run', '--rm', '--network', 'back', img, ...httpGet('api-back')])).toContain('hello from');
      const links = (): string[] => ok(['exec', 'api', 'ip', '-o', 'link']).split('\n').map((l) => l.split(':')[1]?.trim().split('@')[0] ?? '').filter((n) => n.startsWith('eth'));
      expect(links().sort()).toEqual(['eth0', 'eth1']);
      ok(['network', 'disconnect', 'back', 'api']);
      expect(inspect('api', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}')).toBe('front');
      expect(links()).toEqual(['eth0']);
      expect(t.cli(['run', '--rm', '--network', 'back', img, ...httpGet('api-back')]).code).not.toBe(0);
      // A network joined while another's interface is gone takes the first free name.
      ok(['network', 'connect', 'sealed', 'api']);
      ok(['network', 'disconnect', 'front', 'api']);
      ok(['network', 'connect', 'back', 'api']);
      expect(links().sort()).toEqual(['eth0', 'eth1']);
      ok(['network', 'disconnect', 'back', 'api']);
      ok(['network', 'disconnect', 'sealed', 'api']);
      ok(['network', 'connect', 'front', 'api']);
      const inUse = t.cli(['network', 'rm', 'front']);
      expect(inUse.code).not.toBe(0);
      expect(inUse.stderr).toContain('has active endpoints');
      ok(['rm', '-f', 'api']);
      ok(['network', 'rm', 'front', 'back', 'sealed']);
      expect(spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout).not.toMatch(/berth-[0-9a-f]{9}/);
    });

    it('links on the default bridge: variables and a hosts entry', () => {
      const { img } = suite();
      ok(['run', '-d', '--name', 'db', '--expose', '80', '-e', 'SECRET_WORD=open', img, ...HTTPD]);
      const dbIp = inspect('db', '{{.NetworkSettings.IPAddress}}');
      const vars = ok(['run', '--rm', '--link', 'db:store', img, 'sh', '-c', 'echo $STORE_PORT_80_TCP_ADDR $STORE_NAME $STORE_ENV_SECRET_WORD']);
      expect(vars.trim()).toMatch(new RegExp(`^${dbIp.replace(/\./g, '\\.')} /[a-z_]+/store open$`));
      expect(ok(['run', '--rm', '--link', 'db:store', img, ...httpGet('store')])).toContain('hello from');
      ok(['rm', '-f', 'db']);
    });

    it('shares a network namespace with --network container:C', () => {
      const { img } = suite();
      ok(['run', '-d', '--name', 'owner', img, ...HTTPD]);
      const ownerIp = inspect('owner', '{{.NetworkSettings.IPAddress}}');
      expect(ok(['run', '--rm', '--network', 'container:owner', img, 'ip', '-4', 'addr', 'show', 'eth0'])).toContain(`inet ${ownerIp}/`);
      expect(ok(['run', '--rm', '--network', 'container:owner', img, ...httpGet('127.0.0.1')])).toContain('hello from');
      ok(['rm', '-f', 'owner']);
    });

    it('writes hosts, hostname and resolv.conf from --hostname, --add-host and --dns', () => {
      const { img } = suite();
      const out = ok(['run', '--rm', '--hostname', 'box1', '--add-host', 'db.local:10.1.2.3', '--dns', '9.9.9.9', '--dns-search', 'example.test', img, 'sh', '-c', 'cat /etc/hostname /etc/hosts /etc/resolv.conf']);
      expect(out).toMatch(/^box1\n/);
      expect(out).toMatch(/\tbox1\n/);
      expect(out).toContain('10.1.2.3\tdb.local');
      expect(out).toContain('nameserver 9.9.9.9');
      expect(out).toContain('search example.test');
      // On the host's network or none, --add-host still adds its line (after the host's own lines).
      const host = ok(['run', '--rm', '--network', 'host', '--add-host', 'x.local:10.9.9.9', img, 'cat', '/etc/hosts']);
      expect(host).toContain('10.9.9.9\tx.local');
      expect(host.startsWith(readFileSync('/etc/hosts', 'utf8'))).toBe(true);
      expect(ok(['run', '--rm', '--network', 'none', '--add-host', 'x.local:10.9.9.9', img, 'cat', '/etc/hosts'])).toContain('10.9.9.9\tx.local');
    });

    it('keeps a container with --network none on loopback only', () => {
      const { img } = suite();
      const out = ok(['run', '--rm', '--network', 'none', img, 'ip', '-o', 'link']);
      expect(out.trim().split('\n').map((l) => l.split(':')[1]?.trim())).toEqual(['lo']);
    });
  },
);
