import { describe, expect, it } from 'vitest';
import { endianness } from 'node:os';
import { Rtnetlink } from '../../src/network/netlink/rtnetlink.js';
import type { NetlinkTransport } from '../../src/network/netlink/socket.js';
import { attrString, attrU32, decodeMessage, readAttrString, encodeIfInfoMsg, encodeMessage, encodeRtMsg, encodeIfAddrMsg } from '../../src/network/netlink/codec.js';
import { NativeError } from '../../src/native/addon.js';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../../src/errors.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Records requests; answers each with what `answer` returns for it (by message type). */
class FakeTransport implements NetlinkTransport {
  readonly sent: Buffer[] = [];
  closed = false;
  constructor(private readonly answer: (type: number, msg: Buffer) => Buffer[] = () => []) {}
  request(message: Buffer): Buffer[] {
    this.sent.push(message);
    return this.answer(message.readUInt16LE(4), message);
  }
  close(): void {
    this.closed = true;
  }
}

function nativeError(code: string): NativeError {
  const e = new NativeError(`${code}: x, netlink`);
  e.code = code;
  e.syscall = 'netlink';
  return e;
}

function linkReply(index: number, name: string, extra: Array<{ type: number; value: Buffer | Array<{ type: number; value: Buffer }> }> = [], flags = 0): Buffer {
  return encodeMessage({ type: 16, flags: 2, seq: 0, pid: 0 }, encodeIfInfoMsg({ family: 0, type: 1, index, flags, change: 0 }), [
    { type: 3, value: attrString(name) },
    ...extra,
  ]);
}

/** Answers a link lookup by name with the index in `indexes`. */
function byName(indexes: Record<string, number>) {
  return (type: number, msg: Buffer): Buffer[] => {
    if (type !== 18) return [];
    const name = readAttrString(decodeMessage(msg, 16).attrs[0]!.value);
    const index = indexes[name];
    if (index === undefined) throw nativeError('ENODEV');
    return [linkReply(index, name)];
  };
}

describe.skipIf(endianness() !== 'LE')('Rtnetlink requests (little-endian layouts)', () => {
  it('creates a bridge with NLM_F_CREATE|EXCL and an ACK asked', () => {
    const t = new FakeTransport();
    new Rtnetlink(t).createBridge('br0');
    expect(t.sent[0]!.toString('hex')).toBe(hex(`
      38000000 1000 0506 01000000 00000000
      00000000 00000000 00000000 00000000
      08000300 62723000
      10001200 0b000100 62726964 67650000`).toString('hex'));
  });

  it('creates the veth peer directly in its namespace: IFLA_NET_NS_FD inside VETH_INFO_PEER', () => {
    const t = new FakeTransport();
    new Rtnetlink(t).createVethPair('vh0', 'eth0', { peerNetns: 9 });
    expect(t.sent[0]!.toString('hex')).toBe(hex(`
      64000000 1000 0506 01000000 00000000
      00000000 00000000 00000000 00000000
      08000300 76683000
      3c001200
        09000100 76657468 00000000
        2c000200
          28000100
            00000000 00000000 00000000 00000000
            09000300 65746830 00000000
            08001c00 09000000`).toString('hex'));
  });

  it('adds an address by index with local, address and broadcast', () => {
    const t = new FakeTransport(byName({ br0: 7 }));
    new Rtnetlink(t).addAddress('br0', '10.1.0.1/24');
    expect(t.sent[1]!.toString('hex')).toBe(hex(`
      30000000 1400 0506 02000000 00000000
      02180000 07000000
      08000200 0a010001
      08000100 0a010001
      08000400 0a0100ff`).toString('hex'));
  });

  it('sets a link up with ifi_change, and its master by index', () => {
    const t = new FakeTransport(byName({ vh0: 4, br0: 7 }));
    const nl = new Rtnetlink(t);
    nl.setUp('vh0');
    nl.setMaster('vh0', 'br0');
    expect(t.sent[1]!.toString('hex')).toBe(hex(`
      20000000 1300 0500 02000000 00000000
      00000000 04000000 01000000 01000000`).toString('hex'));
    expect(t.sent[4]!.subarray(16).toString('hex')).toBe(hex(`
      00000000 04000000 00000000 00000000
      08000a00 07000000`).toString('hex'));
  });

  it('adds the default route in the main table', () => {
    const t = new FakeTransport();
    new Rtnetlink(t).addDefaultRoute('10.1.0.1');
    expect(t.sent[0]!.toString('hex')).toBe(hex(`
      24000000 1800 0506 01000000 00000000
      02000000 fe030001 00000000
      08000500 0a010001`).toString('hex'));
  });
});

describe('Rtnetlink', () => {
  it('lists links with kind, master name, MTU and state', () => {
    const t = new FakeTransport((type) => {
      expect(type).toBe(18);
      return [
        linkReply(1, 'lo', [{ type: 4, value: attrU32(65536) }], 1),
        linkReply(3, 'br0', [{ type: 4, value: attrU32(1500) }, { type: 18, value: [{ type: 1, value: attrString('bridge') }] }], 1),
        linkReply(5, 'veth1', [{ type: 4, value: attrU32(1500) }, { type: 10, value: attrU32(3) }, { type: 18, value: [{ type: 1, value: attrString('veth') }] }]),
      ];
    });
    expect(new Rtnetlink(t).listLinks()).toEqual([
      { name: 'lo', index: 1, mtu: 65536, up: true },
      { name: 'br0', index: 3, kind: 'bridge', mtu: 1500, up: true },
      { name: 'veth1', index: 5, kind: 'veth', master: 'br0', mtu: 1500, up: false },
    ]);
    expect(t.sent[0]!.readUInt16LE(6)).toBe(0x305);
  });

  it('lists IPv4 addresses and main-table routes with interface names', () => {
    const ip = (s: string): Buffer => Buffer.from(s.split('.').map(Number));
    const t = new FakeTransport((type) => {
      if (type === 18) return [linkReply(2, 'eth0')];
      if (type === 22) {
        return [encodeMessage({ type: 20, flags: 2, seq: 0, pid: 0 }, encodeIfAddrMsg({ family: 2, prefixlen: 16, flags: 0, scope: 0, index: 2 }), [
          { type: 2, value: ip('172.17.0.2') },
        ])];
      }
      const route = (table: number, attrs: Array<{ type: number; value: Buffer }>, dstLen: number): Buffer =>
        encodeMessage({ type: 24, flags: 2, seq: 0, pid: 0 }, encodeRtMsg({ family: 2, dstLen, srcLen: 0, tos: 0, table, protocol: 3, scope: 0, type: 1, flags: 0 }), attrs);
      return [
        route(254, [{ type: 5, value: ip('172.17.0.1') }, { type: 4, value: attrU32(2) }], 0),
        route(254, [{ type: 1, value: ip('172.17.0.0') }, { type: 4, value: attrU32(2) }], 16),
        route(255, [{ type: 1, value: ip('127.0.0.1') }, { type: 15, value: attrU32(255) }], 32),
      ];
    });
    const nl = new Rtnetlink(t);
    expect(nl.listIPv4Addresses()).toEqual([{ ifname: 'eth0', cidr: '172.17.0.2/16' }]);
    expect(nl.listIPv4Routes()).toEqual([
      { dst: '0.0.0.0/0', gateway: '172.17.0.1', ifname: 'eth0' },
      { dst: '172.17.0.0/16', ifname: 'eth0' },
    ]);
  });

  it('turns the kernel errno into berth error kinds, naming the action', () => {
    const nl = new Rtnetlink(new FakeTransport(() => {
      throw nativeError('EEXIST');
    }));
    expect(() => nl.createBridge('br0')).toThrow(ConflictError);
    expect(() => nl.createBridge('br0')).toThrow(/^create bridge br0: EEXIST/);
    const missing = new Rtnetlink(new FakeTransport(() => {
      throw nativeError('ENODEV');
    }));
    expect(missing.deleteLink('gone0')).toBe(false);
    expect(missing.linkExists('gone0')).toBe(false);
    expect(() => missing.setUp('gone0')).toThrow(NotFoundError);
  });

  it('refuses bad names, MTUs and addresses before sending anything', () => {
    const t = new FakeTransport();
    const nl = new Rtnetlink(t);
    for (const name of ['', 'a'.repeat(16), 'a/b', 'a b', 'a:1', '..']) expect(() => nl.createBridge(name)).toThrow(InvalidArgumentError);
    expect(() => nl.createBridge('br0', { mtu: 20 })).toThrow(/invalid MTU/);
    expect(() => nl.addDefaultRoute('10.1.0')).toThrow(/invalid IPv4 address/);
    expect(() => nl.createVethPair('vh0', 'eth0', { peerMac: 'zz' })).toThrow(/invalid MAC/);
    expect(t.sent).toEqual([]);
  });

  it('closes its transport', () => {
    const t = new FakeTransport();
    new Rtnetlink(t).close();
    expect(t.closed).toBe(true);
  });
});
