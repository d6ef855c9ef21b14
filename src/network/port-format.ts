/**
 * Published ports as docker shows them: inspect's NetworkSettings.Ports, the container
 * list's Ports, the PORTS column of ps (the docker CLI's DisplayablePorts) and the lines of
 * `port`.
 */
import { isIPv4 } from 'node:net';
import { InvalidArgumentError } from '../errors.js';
import type { PortMap, PublishedPort } from './types.js';

/** One entry of the container list's Ports (GET /containers/json). */
export interface ApiPort {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

/** inspect's NetworkSettings.Ports: every exposed port, null when it is not published. Keys sorted as Go's JSON sorts them. */
export function networkSettingsPorts(exposed: string[], published: PublishedPort[]): PortMap {
  const map = new Map<string, PortMap[string]>();
  for (const key of exposed) map.set(key, null);
  for (const p of published) {
    const key = `${p.containerPort}/${p.protocol}`;
    const list = map.get(key) ?? [];
    list.push({ HostIp: p.hostIp, HostPort: String(p.hostPort) });
    map.set(key, list);
  }
  const out: PortMap = {};
  for (const key of [...map.keys()].sort()) out[key] = map.get(key) ?? null;
  return out;
}

function ipv4Number(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

/** docker's comparePorts: container port, then address (none first), then host port, then protocol. */
function compareApiPorts(a: ApiPort, b: ApiPort): number {
  if (a.PrivatePort !== b.PrivatePort) return a.PrivatePort - b.PrivatePort;
  if (a.IP !== b.IP) {
    if (a.IP === undefined) return -1;
    if (b.IP === undefined) return 1;
    return isIPv4(a.IP) && isIPv4(b.IP) ? ipv4Number(a.IP) - ipv4Number(b.IP) : a.IP < b.IP ? -1 : 1;
  }
  if (a.PublicPort !== b.PublicPort) return (a.PublicPort ?? 0) - (b.PublicPort ?? 0);
  return a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0;
}

/** The container list's Ports from NetworkSettings.Ports, in docker's display order. */
export function apiPorts(ports: PortMap): ApiPort[] {
  const out: ApiPort[] = [];
  for (const [key, bindings] of Object.entries(ports)) {
    const [port, type = 'tcp'] = key.split('/');
    const privatePort = Number(port);
    if (bindings === null || bindings.length === 0) {
      out.push({ PrivatePort: privatePort, Type: type });
      continue;
    }
    for (const b of bindings) {
      // docker leaves out (omitempty) an empty address and a port not resolved yet; keys in its order.
      const publicPort = Number(b.HostPort);
      out.push({
        ...(b.HostIp === '' ? {} : { IP: b.HostIp }),
        PrivatePort: privatePort,
        ...(publicPort > 0 ? { PublicPort: publicPort } : {}),
        Type: type,
      });
    }
  }
  return out.sort(compareApiPorts);
}

/** Go's net.JoinHostPort, for the IPv4 and empty addresses berth publishes on. */
function joinHostPort(ip: string, port: string): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/**
 * The PORTS column of ps, as docker's DisplayablePorts writes it: ports published to the same
 * number on the host, or not published, are grouped into runs (0.0.0.0:80-81->80-81/tcp);
 * a port published to another number stands alone, after the groups.
 */
export function formatPortsColumn(ports: PortMap): string {
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  const form = (groupKey: string, first: number, last: number) => {
    const slash = groupKey.lastIndexOf('/');
    const ip = slash < 0 ? '' : groupKey.slice(0, slash);
    const type = groupKey.slice(slash + 1);
    let run = first === last ? String(first) : `${first}-${last}`;
    if (ip !== '') run = `${joinHostPort(ip, run)}->${run}`;
    return `${run}/${type}`;
  };
  for (const p of apiPorts(ports)) {
    let groupKey = p.Type;
    if (p.IP !== undefined) {
      if (p.PublicPort !== p.PrivatePort) {
        hostMappings.push(`${joinHostPort(p.IP, String(p.PublicPort))}->${p.PrivatePort}/${p.Type}`);
        continue;
      }
      groupKey = `${p.IP}/${p.Type}`;
    }
    const group = groups.get(groupKey);
    if (group === undefined) {
      groups.set(groupKey, { first: p.PrivatePort, last: p.PrivatePort });
    } else if (p.PrivatePort === group.last + 1) {
      group.last = p.PrivatePort;
    } else {
      result.push(form(groupKey, group.first, group.last));
      // The key keeps its first place: docker prints the last run of each key in order of first appearance.
      group.first = group.last = p.PrivatePort;
    }
  }
  for (const [groupKey, g] of groups) result.push(form(groupKey, g.first, g.last));
  return [...result, ...hostMappings].join(', ');
}

/** sortorder.NaturalLess as a comparator: digit runs compare as numbers, and sort before other characters. */
export function naturalCompare(a: string, b: string): number {
  const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a[i];
    const cb = b[j];
    const da = isDigit(ca);
    if (da !== isDigit(cb)) return da ? -1 : 1;
    if (!da) {
      if (ca !== cb) return (ca ?? '') < (cb ?? '') ? -1 : 1;
      i++;
      j++;
      continue;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    const si = i;
    const sj = j;
    while (isDigit(a[i])) i++;
    while (isDigit(b[j])) j++;
    const na = a.slice(si, i);
    const nb = b.slice(sj, j);
    if (na.length !== nb.length) return na.length - nb.length;
    if (na !== nb) return na < nb ? -1 : 1;
    // Equal numbers: the one with fewer leading zeros first.
    if (si !== sj) return si - sj;
  }
  return a.length - i - (b.length - j);
}

/**
 * The lines `berth port C [PORT[/PROTO]]` prints: "80/tcp -> 0.0.0.0:8080" for every binding,
 * or with a filter (protocol tcp when left out) just "0.0.0.0:8080". With a filter, an empty
 * result means nothing is published there: the CLI prints docker's "No public port" error.
 */
export function formatPortCommand(ports: PortMap, filter?: string): string[] {
  const out: string[] = [];
  if (filter !== undefined && filter !== '') {
    const slash = filter.indexOf('/');
    const port = slash < 0 ? filter : filter.slice(0, slash);
    const proto = slash < 0 ? 'tcp' : filter.slice(slash + 1);
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) throw new InvalidArgumentError(`invalid port (${port})`);
    for (const b of ports[`${Number(port)}/${proto}`] ?? []) out.push(joinHostPort(b.HostIp, b.HostPort));
  } else {
    for (const [key, bindings] of Object.entries(ports)) {
      for (const b of bindings ?? []) out.push(`${key} -> ${joinHostPort(b.HostIp, b.HostPort)}`);
    }
  }
  return out.sort(naturalCompare);
}
