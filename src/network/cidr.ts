/** IPv4 addresses and CIDR blocks as numbers, parsed strictly (no leading zeros, no short forms). */
import { InvalidArgumentError } from '../errors.js';

export interface Cidr {
  /** The address as written, as an unsigned 32-bit number. */
  addr: number;
  prefix: number;
}

const OCTET = /^(0|[1-9]\d{0,2})$/;

/** The address as a number, or undefined when it is not a dotted-quad IPv4 address. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!OCTET.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** `a.b.c.d/nn`, or undefined when text is not one. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const addr = parseIpv4(text.slice(0, slash));
  const bits = text.slice(slash + 1);
  if (addr === undefined || !/^(0|[1-9]\d?)$/.test(bits) || Number(bits) > 32) return undefined;
  return { addr, prefix: Number(bits) };
}

/** Like parseCidr, but bad text is the caller's error. */
export function mustParseCidr(text: string, what: string): Cidr {
  const c = parseCidr(text);
  if (!c) throw new InvalidArgumentError(`invalid ${what} ${text}: invalid CIDR block notation`);
  return c;
}

export function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** The block's first address (host bits cleared). */
export function networkAddress(c: Cidr): number {
  return (c.addr & mask(c.prefix)) >>> 0;
}

export function broadcastAddress(c: Cidr): number {
  return (networkAddress(c) | ~mask(c.prefix)) >>> 0;
}

export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.addr)}/${c.prefix}`;
}

/** The block with its host bits cleared: 10.1.2.3/16 → 10.1.0.0/16. */
export function masked(c: Cidr): Cidr {
  return { addr: networkAddress(c), prefix: c.prefix };
}

export function contains(c: Cidr, addr: number): boolean {
  return (addr & mask(c.prefix)) >>> 0 === networkAddress(c);
}

/** Two blocks overlap when the shorter one's network holds the other's first address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  const shorter = a.prefix <= b.prefix ? a : b;
  const longer = shorter === a ? b : a;
  return contains(shorter, networkAddress(longer));
}
