/** IPv4 addresses, prefixes and MAC addresses as netlink carries them (network byte order bytes). */
import { isIPv4 } from 'node:net';
import { InvalidArgumentError } from '../../errors.js';

export interface Ipv4Prefix {
  address: Buffer;
  prefixLength: number;
}

export function ipv4Bytes(ip: string): Buffer {
  if (!isIPv4(ip)) throw new InvalidArgumentError(`invalid IPv4 address: ${ip}`);
  return Buffer.from(ip.split('.').map(Number));
}

export function formatIpv4(bytes: Buffer): string {
  return [...bytes.subarray(0, 4)].join('.');
}

/** '10.1.0.1/24' → the address as given (host bits kept) and its prefix length. */
export function parseCidr(cidr: string): Ipv4Prefix {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(cidr);
  const prefixLength = Number(m?.[2]);
  if (!m || prefixLength > 32) throw new InvalidArgumentError(`invalid IPv4 CIDR: ${cidr}`);
  return { address: ipv4Bytes(m[1]!), prefixLength };
}

/** The subnet's broadcast address: the address with every host bit set. */
export function broadcastOf(p: Ipv4Prefix): Buffer {
  const host = p.prefixLength === 0 ? 0xffffffff : (2 ** (32 - p.prefixLength) - 1);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((p.address.readUInt32BE(0) | host) >>> 0);
  return out;
}

export function macBytes(mac: string): Buffer {
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac)) throw new InvalidArgumentError(`invalid MAC address: ${mac}`);
  return Buffer.from(mac.split(':').map((h) => parseInt(h, 16)));
}
