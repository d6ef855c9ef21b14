/**
 * docker's -p/--publish, --expose and -P, read as the docker CLI reads them (go-connections'
 * nat.ParsePortSpec and the CLI's --expose loop), into Config.ExposedPorts keys and
 * HostConfig.PortBindings. Messages are docker's, so scripts that match them keep working.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { InvalidArgumentError } from '../errors.js';
import type { PortBinding, PortMap, PortProtocol } from './types.js';

/** One container port ("80/tcp") and the host side it is published to. */
export interface PortMapping {
  key: string;
  binding: PortBinding;
}

export interface PortMapInput {
  /** -p values. */
  publish: string[];
  /** --expose values. */
  expose: string[];
  /** -P: publish every exposed port to a free host port. */
  publishAll: boolean;
  /** The image's Config.ExposedPorts keys. */
  imageExposed: string[];
}

export interface PortMapResult {
  /** Config.ExposedPorts keys, by port then protocol. */
  exposed: string[];
  /** HostConfig.PortBindings. */
  bindings: PortMap;
}

interface PortRange {
  start: number;
  end: number;
}

/** Why a port or range does not read, in the words of Go's strconv (docker prints them). */
function rangeError(text: string): string | undefined {
  if (text === '') return 'empty string specified for ports';
  const parts = text.split('-');
  if (parts.length > 2) return `invalid range specified for port: ${text}`;
  for (const part of parts) {
    if (!/^\d+$/.test(part)) return `strconv.ParseUint: parsing "${part}": invalid syntax`;
    if (Number(part) > 65535) return `strconv.ParseUint: parsing "${part}": value out of range`;
  }
  if (parts.length === 2 && Number(parts[1]) < Number(parts[0])) return `invalid range specified for port: ${text}`;
  return undefined;
}

function parseRange(text: string): PortRange | undefined {
  if (rangeError(text) !== undefined) return undefined;
  const [start, end = start] = text.split('-').map(Number);
  return start === undefined || end === undefined ? undefined : { start, end };
}

/** docker's SplitProtoPort: "80/udp" → ['udp', '80']; no protocol means tcp. */
function splitProtoPort(raw: string): [proto: string, port: string] {
  const parts = raw.split('/');
  const port = parts[0] ?? '';
  if (raw === '' || port === '') return ['', ''];
  const proto = parts[1] ?? '';
  return [proto === '' ? 'tcp' : proto, port];
}

/** tcp and udp are what berth's NAT rules forward; sctp is docker's and refused plainly. */
function checkProto(proto: string): PortProtocol {
  const p = proto.toLowerCase();
  if (p === 'tcp' || p === 'udp') return p;
  if (p === 'sctp') throw new InvalidArgumentError(`sctp ports are not supported: berth publishes tcp and udp only`);
  throw new InvalidArgumentError(`invalid proto: ${proto}`);
}

/** docker's --publish long form (published=8080,target=80,protocol=udp) as the short one. */
function standardNotation(spec: string): string {
  if (!spec.includes('=')) return spec;
  const params = new Map<string, string>([['protocol', 'tcp']]);
  for (const param of spec.split(',')) {
    const eq = param.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`invalid publish opts format (should be name=value but got '${param}')`);
    params.set(param.slice(0, eq), param.slice(eq + 1));
  }
  return `${params.get('published') ?? ''}:${params.get('target') ?? ''}/${params.get('protocol') ?? ''}`;
}

/** docker's splitParts: the last colon-separated part is the container's, the one before it the host port. */
function splitParts(spec: string): [ip: string, hostPort: string, containerPort: string] {
  const parts = spec.split(':');
  const n = parts.length;
  const containerPort = parts[n - 1] ?? '';
  if (n === 1) return ['', '', containerPort];
  return [parts.slice(0, n - 2).join(':'), parts[n - 2] ?? '', containerPort];
}

function checkHostIp(raw: string): string {
  const ip = raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : raw;
  if (ip === '' || isIPv4(ip)) return ip;
  if (isIPv6(ip)) throw new InvalidArgumentError(`cannot publish on IPv6 address ${ip}: berth publishes ports on IPv4 only`);
  throw new InvalidArgumentError(`invalid IP address: ${ip}`);
}

/** One -p value: every form docker takes (80, 8080:80, ip:8080:80/udp, ip::80, ranges). */
export function parsePublish(spec: string): PortMapping[] {
  const [rawIp, hostPort, rawContainer] = splitParts(standardNotation(spec));
  const [proto, containerPort] = splitProtoPort(rawContainer);
  const ip = checkHostIp(rawIp);
  if (containerPort === '') throw new InvalidArgumentError(`no port specified: ${spec}<empty>`);
  const container = parseRange(containerPort);
  if (container === undefined || container.start === 0) throw new InvalidArgumentError(`invalid containerPort: ${containerPort}`);
  let host: PortRange | undefined;
  if (hostPort !== '') {
    host = parseRange(hostPort);
    if (host === undefined) throw new InvalidArgumentError(`invalid hostPort: ${hostPort}`);
    // A host range for a single container port is the range docker picks one free port from.
    if (host.end - host.start !== container.end - container.start && container.end !== container.start) {
      throw new InvalidArgumentError(`invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`);
    }
  }
  const protocol = checkProto(proto);
  const out: PortMapping[] = [];
  for (let i = 0; i <= container.end - container.start; i++) {
    let hostSide = '';
    if (host !== undefined) {
      hostSide = container.start === container.end && host.start !== host.end ? `${host.start}-${host.end}` : String(host.start + i);
    }
    out.push({ key: `${container.start + i}/${protocol}`, binding: { HostIp: ip, HostPort: hostSide } });
  }
  return out;
}

/** One --expose value: a port or a range, with an optional protocol; its Config.ExposedPorts keys. */
export function parseExpose(spec: string): string[] {
  if (spec.includes(':')) throw new InvalidArgumentError(`invalid port format for --expose: ${spec}`);
  const [proto, port] = splitProtoPort(spec);
  const why = rangeError(port);
  const range = parseRange(port);
  if (why !== undefined || range === undefined) {
    throw new InvalidArgumentError(`invalid range format for --expose: ${spec}, error: ${why ?? 'invalid range'}`);
  }
  if (range.start === 0) throw new InvalidArgumentError(`invalid port format for --expose: ${spec}`);
  const protocol = checkProto(proto);
  const keys: string[] = [];
  for (let p = range.start; p <= range.end; p++) keys.push(`${p}/${protocol}`);
  return keys;
}

/** A key as "port/proto" with any protocol kept (images may expose sctp); undefined if not a port. */
function normaliseImageKey(key: string): string | undefined {
  const [proto, port] = splitProtoPort(key);
  const range = parseRange(port);
  if (range === undefined || range.start !== range.end || range.start === 0) return undefined;
  return `${range.start}/${proto.toLowerCase()}`;
}

/** Sorts "port/proto" keys by port number, then protocol. */
export function comparePortKeys(a: string, b: string): number {
  const [pa, protoA = ''] = a.split('/');
  const [pb, protoB = ''] = b.split('/');
  return Number(pa) - Number(pb) || (protoA < protoB ? -1 : protoA > protoB ? 1 : 0);
}

/**
 * The container's exposed ports and port bindings from its run flags and image, as docker
 * records them. -P binds every exposed port that has no binding yet to HostPort ''.
 */
export function portMapFrom(input: PortMapInput): PortMapResult {
  const exposed = new Set<string>();
  for (const key of input.imageExposed) {
    const k = normaliseImageKey(key);
    if (k === undefined) throw new InvalidArgumentError(`invalid exposed port in image config: ${key}`);
    exposed.add(k);
  }
  for (const spec of input.expose) for (const key of parseExpose(spec)) exposed.add(key);
  const bindings: PortMap = {};
  for (const spec of input.publish) {
    for (const { key, binding } of parsePublish(spec)) {
      exposed.add(key);
      (bindings[key] ??= []).push(binding);
    }
  }
  return { exposed: [...exposed].sort(comparePortKeys), bindings: input.publishAll ? withPublishAll(exposed, bindings) : bindings };
}

/**
 * `-P`: every exposed port not published otherwise gets a free host port. docker keeps this out
 * of HostConfig.PortBindings and applies it at each start; so does the engine.
 */
export function withPublishAll(exposed: Iterable<string>, bindings: PortMap): PortMap {
  const out: PortMap = { ...bindings };
  for (const key of exposed) {
    // An image may expose sctp; berth's NAT forwards tcp and udp, so -P leaves it exposed only.
    if (!key.endsWith('/tcp') && !key.endsWith('/udp')) continue;
    out[key] ??= [{ HostIp: '', HostPort: '' }];
  }
  return out;
}
