import { describe, expect, it } from 'vitest';
import { endianness } from 'node:os';
import {
  decodeAttrs, decodeIfAddrMsg, decodeIfInfoMsg, decodeMessage, decodeRtMsg, encodeAttrs, encodeIfAddrMsg, encodeMessage,
  encodeRtMsg, attrString, readAttrString,
} from '../../src/network/netlink/codec.js';
import { broadcastOf, formatIpv4, macBytes, parseCidr } from '../../src/network/netlink/ipv4.js';
import { InvalidArgumentError } from '../../src/errors.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// The expected bytes are written out by hand from the kernel's struct layouts, little-endian.
describe.skipIf(endianness() !== 'LE')('rtnetlink codec (little-endian layouts)', () => {
  it('encodes nlmsghdr + ifinfomsg + nested rtattrs padded to 4 bytes', () => {
    const msg = encodeMessage({ type: 16, flags: 0x605, seq: 1, pid: 0 }, Buffer.alloc(16), [
      { type: 3, value: attrString('br0') },
      { type: 18, value: [{ type: 1, value: attrString('bridge') }] },
    ]);
    expect(msg.toString('hex')).toBe(hex(`
      38000000 1000 0506 01000000 00000000
      00000000 00000000 00000000 00000000
      08000300 62723000
      10001200 0b000100 62726964 67650000`).toString('hex'));
  });

  it('encodes ifaddrmsg and rtmsg', () => {
    expect(encodeIfAddrMsg({ family: 2, prefixlen: 24, flags: 0, scope: 0, index: 7 })).toEqual(hex('02180000 07000000'));
    expect(encodeRtMsg({ family: 2, dstLen: 0, srcLen: 0, tos: 0, table: 254, protocol: 3, scope: 0, type: 1, flags: 0 }))
      .toEqual(hex('02000000 fe030001 00000000'));
  });

  it('decodes a link reply: header, ifinfomsg and nested attributes', () => {
    const reply = hex(`
      4c000000 1000 0200 09000000 00000000
      0000 0100 05000000 01000000 00000000
      0a000300 76657468 31000000
      08000400 dc050000
      08000a00 03000000
      10001200 09000100 76657468 00000000`);
    const m = decodeMessage(reply, 16);
    expect(m.header).toEqual({ type: 16, flags: 2, seq: 9, pid: 0 });
    expect(decodeIfInfoMsg(m.fixed)).toEqual({ family: 0, type: 1, index: 5, flags: 1, change: 0 });
    expect(m.attrs.map((a) => a.type)).toEqual([3, 4, 10, 18]);
    expect(readAttrString(m.attrs[0]!.value)).toBe('veth1');
    expect(m.attrs[1]!.value.readUInt32LE(0)).toBe(1500);
    const [kind] = decodeAttrs(m.attrs[3]!.value);
    expect(kind!.type).toBe(1);
    expect(readAttrString(kind!.value)).toBe('veth');
  });

  it('decodes ifaddrmsg and rtmsg, and masks NLA_F_NESTED off attribute types', () => {
    expect(decodeIfAddrMsg(hex('02100080 02000000'))).toEqual({ family: 2, prefixlen: 16, flags: 0, scope: 128, index: 2 });
    expect(decodeRtMsg(hex('02180000 fe020001 00000000'))).toMatchObject({ family: 2, dstLen: 24, table: 254, protocol: 2, type: 1 });
    expect(decodeAttrs(hex('08001280 01020304')).map((a) => a.type)).toEqual([18]);
  });

  it('round-trips attribute trees and refuses a truncated attribute', () => {
    const tree = encodeAttrs([{ type: 1, value: Buffer.from([1, 2, 3]) }, { type: 2, value: [{ type: 3, value: Buffer.alloc(0) }] }]);
    expect(tree.length % 4).toBe(0);
    const [a, b] = decodeAttrs(tree);
    expect(a!.value).toEqual(Buffer.from([1, 2, 3]));
    expect(decodeAttrs(b!.value)).toEqual([{ type: 3, value: Buffer.alloc(0) }]);
    expect(() => decodeAttrs(hex('10000100 0000'))).toThrow(/malformed attribute/);
  });
});

describe('IPv4 and MAC helpers', () => {
  it('parses CIDRs keeping the host bits, and computes the broadcast address', () => {
    const p = parseCidr('10.1.0.1/24');
    expect(formatIpv4(p.address)).toBe('10.1.0.1');
    expect(p.prefixLength).toBe(24);
    expect(formatIpv4(broadcastOf(p))).toBe('10.1.0.255');
    expect(formatIpv4(broadcastOf(parseCidr('172.18.5.9/12')))).toBe('172.31.255.255');
    expect(formatIpv4(broadcastOf(parseCidr('0.0.0.0/0')))).toBe('255.255.255.255');
  });
  it('refuses malformed addresses with a one-line InvalidArgumentError', () => {
    for (const bad of ['10.1.0.1', '10.1.0.1/33', '10.1.0/24', '::1/64', '10.1.0.256/8']) {
      expect(() => parseCidr(bad)).toThrow(InvalidArgumentError);
    }
    expect(macBytes('02:42:ac:11:00:02')).toEqual(hex('0242ac110002'));
    expect(() => macBytes('02:42:ac:11:00')).toThrow(/invalid MAC address/);
  });
});
