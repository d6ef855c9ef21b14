/**
 * Host ports for a container's port bindings: a fixed port as asked, a free one from the
 * kernel's ephemeral range for HostPort '', the first free one of a host range. Published
 * ports are DNAT rules, not sockets, so "free" is asked of the caller: the socket check
 * (hostPortIsFree) plus whatever other containers already publish.
 */
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import { ConflictError, InvalidArgumentError, isSystemError } from '../errors.js';
import type { PortMap, PortProtocol, PublishedPort } from './types.js';
import { comparePortKeys } from './ports.js';

export type PortFreeCheck = (protocol: PortProtocol, ip: string, port: number) => Promise<boolean>;

export interface ResolvePortsOptions {
  isFree: PortFreeCheck;
  /** The ports the container had before (a restart keeps them when they are still free). */
  previous?: PublishedPort[];
  /** The range HostPort '' picks from; by default the kernel's ip_local_port_range. */
  ephemeralRange?: readonly [number, number];
}

const DEFAULT_EPHEMERAL: readonly [number, number] = [32768, 60999];

/** The kernel's ephemeral port range (net.ipv4.ip_local_port_range), as docker allocates from. */
export async function ephemeralPortRange(file = '/proc/sys/net/ipv4/ip_local_port_range'): Promise<readonly [number, number]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (isSystemError(err, 'ENOENT')) return DEFAULT_EPHEMERAL;
    throw err;
  }
  const [lo, hi] = text.trim().split(/\s+/).map(Number);
  if (lo === undefined || hi === undefined || !Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi > 65535 || lo > hi) {
    return DEFAULT_EPHEMERAL;
  }
  return [lo, hi];
}

/** Whether this host lets a socket bind proto/ip/port now (a listening socket or bound udp one says no). */
export function hostPortIsFree(protocol: PortProtocol, ip: string, port: number): Promise<boolean> {
  const settle = (resolve: (free: boolean) => void, reject: (err: unknown) => void) => (err: unknown) => {
    if (isSystemError(err, 'EADDRINUSE')) resolve(false);
    else if (isSystemError(err, 'EADDRNOTAVAIL')) reject(new InvalidArgumentError(`cannot publish on ${ip}: it is not an address of this host`));
    else reject(err);
  };
  return new Promise((resolve, reject) => {
    if (protocol === 'tcp') {
      const server = createServer();
      server.once('error', settle(resolve, reject));
      server.listen({ host: ip, port, exclusive: true }, () => server.close(() => resolve(true)));
    } else {
      const socket = createSocket('udp4');
      socket.once('error', (err) => {
        socket.close();
        settle(resolve, reject)(err);
      });
      socket.bind({ address: ip, port, exclusive: true }, () => socket.close(() => resolve(true)));
    }
  });
}

/** Ports this resolution already gave out: 0.0.0.0 overlaps every address. */
class TakenPorts {
  private readonly ips = new Map<string, Set<string>>();

  has(protocol: PortProtocol, ip: string, port: number): boolean {
    const ips = this.ips.get(`${protocol}/${port}`);
    if (ips === undefined) return false;
    return ip === '0.0.0.0' ? ips.size > 0 : ips.has(ip) || ips.has('0.0.0.0');
  }

  add(protocol: PortProtocol, ip: string, port: number): void {
    const k = `${protocol}/${port}`;
    let ips = this.ips.get(k);
    if (ips === undefined) this.ips.set(k, (ips = new Set()));
    ips.add(ip);
  }
}

function parseKey(key: string): { protocol: PortProtocol; containerPort: number } {
  const m = /^(\d{1,5})\/(tcp|udp)$/.exec(key);
  const port = Number(m?.[1]);
  if (m === null || port < 1 || port > 65535) throw new InvalidArgumentError(`invalid port binding key: ${key} (want PORT/tcp or PORT/udp)`);
  return { protocol: m[2] as PortProtocol, containerPort: port };
}

function parseHostPort(text: string, key: string): { start: number; end: number } | 'any' {
  if (text === '' || text === '0') return 'any';
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  const start = Number(m?.[1]);
  const end = m?.[2] === undefined ? start : Number(m[2]);
  if (m === null || start < 1 || end > 65535 || end < start) throw new InvalidArgumentError(`invalid host port ${text} for ${key}`);
  return { start, end };
}

/** Turns every binding into a published port with a real host port, in order of container port. */
export async function resolvePorts(bindings: PortMap, opts: ResolvePortsOptions): Promise<PublishedPort[]> {
  const taken = new TakenPorts();
  const out: PublishedPort[] = [];
  let ephemeral = opts.ephemeralRange;
  const free = async (protocol: PortProtocol, ip: string, port: number) => !taken.has(protocol, ip, port) && (await opts.isFree(protocol, ip, port));

  for (const key of Object.keys(bindings).sort(comparePortKeys)) {
    const { protocol, containerPort } = parseKey(key);
    for (const binding of bindings[key] ?? []) {
      const hostIp = binding.HostIp === '' ? '0.0.0.0' : binding.HostIp;
      if (!isIPv4(hostIp)) throw new InvalidArgumentError(`invalid host IP ${binding.HostIp} for ${key}: berth publishes ports on IPv4 only`);
      const wanted = parseHostPort(binding.HostPort, key);
      const within = (p: number) => wanted === 'any' || (p >= wanted.start && p <= wanted.end);
      const before = (opts.previous ?? []).find(
        (p) => p.protocol === protocol && p.containerPort === containerPort && p.hostIp === hostIp && within(p.hostPort) && !taken.has(protocol, hostIp, p.hostPort),
      );

      let hostPort: number | undefined;
      if (before !== undefined && (await free(protocol, hostIp, before.hostPort))) {
        hostPort = before.hostPort;
      } else if (wanted === 'any') {
        ephemeral ??= await ephemeralPortRange();
        hostPort = await pickEphemeral(ephemeral, (p) => free(protocol, hostIp, p));
        if (hostPort === undefined) throw new ConflictError(`all ports are allocated: no free ${protocol} port in ${ephemeral[0]}-${ephemeral[1]} on ${hostIp}`);
      } else {
        for (let p = wanted.start; p <= wanted.end && hostPort === undefined; p++) if (await free(protocol, hostIp, p)) hostPort = p;
        if (hostPort === undefined) {
          const asked = wanted.start === wanted.end ? String(wanted.start) : `${wanted.start}-${wanted.end}`;
          throw new ConflictError(`Bind for ${hostIp}:${asked} failed: port is already allocated`);
        }
      }
      taken.add(protocol, hostIp, hostPort);
      out.push({ protocol, hostIp, hostPort, containerPort });
    }
  }
  return out;
}

/** Starts at a random port of the range so concurrent engines rarely race for the same one. */
async function pickEphemeral(range: readonly [number, number], isFree: (port: number) => Promise<boolean>): Promise<number | undefined> {
  const [lo, hi] = range;
  const size = hi - lo + 1;
  const offset = Math.floor(Math.random() * size);
  for (let i = 0; i < size; i++) {
    const port = lo + ((offset + i) % size);
    if (await isFree(port)) return port;
  }
  return undefined;
}
