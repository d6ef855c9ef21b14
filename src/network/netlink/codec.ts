/**
 * The rtnetlink wire format: nlmsghdr, the fixed headers of link, address and route messages
 * (ifinfomsg, ifaddrmsg, rtmsg) and rtattr trees. Numbers are in host byte order, as the kernel
 * reads them; every part is padded to 4 bytes (NLMSG_ALIGN, RTA_ALIGN).
 */
import { endianness } from 'node:os';
import { NLA_TYPE_MASK } from './constants.js';

const LE = endianness() === 'LE';

function u16(buf: Buffer, value: number, at: number): void {
  if (LE) buf.writeUInt16LE(value, at);
  else buf.writeUInt16BE(value, at);
}
function u32(buf: Buffer, value: number, at: number): void {
  if (LE) buf.writeUInt32LE(value, at);
  else buf.writeUInt32BE(value, at);
}
function i32(buf: Buffer, value: number, at: number): void {
  if (LE) buf.writeInt32LE(value, at);
  else buf.writeInt32BE(value, at);
}
function readU16(buf: Buffer, at: number): number {
  return LE ? buf.readUInt16LE(at) : buf.readUInt16BE(at);
}
function readU32(buf: Buffer, at: number): number {
  return LE ? buf.readUInt32LE(at) : buf.readUInt32BE(at);
}
function readI32(buf: Buffer, at: number): number {
  return LE ? buf.readInt32LE(at) : buf.readInt32BE(at);
}

const align4 = (n: number): number => (n + 3) & ~3;

export const NLMSGHDR_LEN = 16;
const RTATTR_HDR_LEN = 4;

export interface NlMsgHeader {
  type: number;
  flags: number;
  seq: number;
  pid: number;
}

/** struct ifinfomsg: the fixed part of a link message. */
export interface IfInfoMsg {
  family: number;
  type: number;
  index: number;
  flags: number;
  change: number;
}

/** struct ifaddrmsg */
export interface IfAddrMsg {
  family: number;
  prefixlen: number;
  flags: number;
  scope: number;
  index: number;
}

/** struct rtmsg */
export interface RtMsg {
  family: number;
  dstLen: number;
  srcLen: number;
  tos: number;
  table: number;
  protocol: number;
  scope: number;
  type: number;
  flags: number;
}

/** An attribute to send: raw bytes, or nested attributes. */
export interface Attr {
  type: number;
  value: Buffer | Attr[];
}

/** An attribute as received: its type (flag bits masked off) and its payload. */
export interface RawAttr {
  type: number;
  value: Buffer;
}

export function encodeIfInfoMsg(m: IfInfoMsg): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(m.family, 0);
  u16(b, m.type, 2);
  i32(b, m.index, 4);
  u32(b, m.flags, 8);
  u32(b, m.change, 12);
  return b;
}

export function decodeIfInfoMsg(b: Buffer): IfInfoMsg {
  return { family: b.readUInt8(0), type: readU16(b, 2), index: readI32(b, 4), flags: readU32(b, 8), change: readU32(b, 12) };
}

export function encodeIfAddrMsg(m: IfAddrMsg): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(m.family, 0);
  b.writeUInt8(m.prefixlen, 1);
  b.writeUInt8(m.flags, 2);
  b.writeUInt8(m.scope, 3);
  u32(b, m.index, 4);
  return b;
}

export function decodeIfAddrMsg(b: Buffer): IfAddrMsg {
  return { family: b.readUInt8(0), prefixlen: b.readUInt8(1), flags: b.readUInt8(2), scope: b.readUInt8(3), index: readU32(b, 4) };
}

export function encodeRtMsg(m: RtMsg): Buffer {
  const b = Buffer.alloc(12);
  [m.family, m.dstLen, m.srcLen, m.tos, m.table, m.protocol, m.scope, m.type].forEach((v, i) => b.writeUInt8(v, i));
  u32(b, m.flags, 8);
  return b;
}

export function decodeRtMsg(b: Buffer): RtMsg {
  return {
    family: b.readUInt8(0), dstLen: b.readUInt8(1), srcLen: b.readUInt8(2), tos: b.readUInt8(3),
    table: b.readUInt8(4), protocol: b.readUInt8(5), scope: b.readUInt8(6), type: b.readUInt8(7), flags: readU32(b, 8),
  };
}

export function encodeAttrs(attrs: readonly Attr[]): Buffer {
  const parts: Buffer[] = [];
  for (const a of attrs) {
    const payload = Buffer.isBuffer(a.value) ? a.value : encodeAttrs(a.value);
    const head = Buffer.alloc(RTATTR_HDR_LEN);
    u16(head, RTATTR_HDR_LEN + payload.length, 0);
    u16(head, a.type, 2);
    parts.push(head, payload, Buffer.alloc(align4(payload.length) - payload.length));
  }
  return Buffer.concat(parts);
}

/** Reads consecutive attributes; a truncated one is a broken reply, not data to guess at. */
export function decodeAttrs(b: Buffer): RawAttr[] {
  const out: RawAttr[] = [];
  for (let at = 0; at + RTATTR_HDR_LEN <= b.length; ) {
    const len = readU16(b, at);
    if (len < RTATTR_HDR_LEN || at + len > b.length) throw new Error(`netlink: malformed attribute at byte ${at}`);
    out.push({ type: readU16(b, at + 2) & NLA_TYPE_MASK, value: b.subarray(at + RTATTR_HDR_LEN, at + len) });
    at += align4(len);
  }
  return out;
}

/** The first attribute of that type, as the kernel sends each at most once where berth reads it. */
export function findAttr(attrs: readonly RawAttr[], type: number): Buffer | undefined {
  return attrs.find((a) => a.type === type)?.value;
}

export function attrU32(value: number): Buffer {
  const b = Buffer.alloc(4);
  u32(b, value, 0);
  return b;
}

/** A NUL-terminated string, as IFLA_IFNAME and IFLA_INFO_KIND are. */
export function attrString(value: string): Buffer {
  return Buffer.from(`${value}\0`, 'utf8');
}

export function readAttrU32(value: Buffer): number {
  return readU32(value, 0);
}

export function readAttrString(value: Buffer): string {
  const end = value.indexOf(0);
  return value.subarray(0, end < 0 ? value.length : end).toString('utf8');
}

/** A whole message: nlmsghdr, the fixed header (ifinfomsg …) padded, then the attributes. */
export function encodeMessage(h: NlMsgHeader, fixed: Buffer, attrs: readonly Attr[]): Buffer {
  const body = Buffer.concat([fixed, Buffer.alloc(align4(fixed.length) - fixed.length), encodeAttrs(attrs)]);
  const head = Buffer.alloc(NLMSGHDR_LEN);
  u32(head, NLMSGHDR_LEN + body.length, 0);
  u16(head, h.type, 4);
  u16(head, h.flags, 6);
  u32(head, h.seq, 8);
  u32(head, h.pid, 12);
  return Buffer.concat([head, body]);
}

export interface DecodedMessage {
  header: NlMsgHeader;
  /** The fixed header (ifinfomsg …) of fixedLen bytes. */
  fixed: Buffer;
  attrs: RawAttr[];
}

/** Splits one reply message (as the addon returns it) into its header, fixed part and attributes. */
export function decodeMessage(msg: Buffer, fixedLen: number): DecodedMessage {
  const len = readU32(msg, 0);
  if (len > msg.length || len < NLMSGHDR_LEN + fixedLen) throw new Error(`netlink: truncated message (${msg.length} of ${len} bytes)`);
  const header = { type: readU16(msg, 4), flags: readU16(msg, 6), seq: readU32(msg, 8), pid: readU32(msg, 12) };
  const fixed = msg.subarray(NLMSGHDR_LEN, NLMSGHDR_LEN + fixedLen);
  return { header, fixed, attrs: decodeAttrs(msg.subarray(NLMSGHDR_LEN + align4(fixedLen), len)) };
}
