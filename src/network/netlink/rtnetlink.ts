/**
 * Links, addresses and routes of one network namespace over rtnetlink: what `ip link`, `ip addr`
 * and `ip route` do for berth's bridges and veths, without running them.
 */
import { closeSync } from 'node:fs';
import { openNetns } from '../netns.js';
import { ConflictError, InternalError, InvalidArgumentError, NotFoundError, isSystemError, type BerthError } from '../../errors.js';
import {
  AF_INET, AF_UNSPEC, IFA, IFF_UP, IFLA, IFLA_INFO, NLM_F, RTA, RTM, RTN_UNICAST, RTPROT_BOOT, RT_SCOPE_UNIVERSE,
  RT_TABLE_MAIN, VETH_INFO_PEER,
} from './constants.js';
import {
  attrString, attrU32, decodeAttrs, encodeAttrs, decodeIfAddrMsg, decodeIfInfoMsg, decodeMessage, decodeRtMsg, encodeIfAddrMsg,
  encodeIfInfoMsg, encodeMessage, encodeRtMsg, findAttr, readAttrString, readAttrU32, type Attr,
} from './codec.js';
import { broadcastOf, formatIpv4, ipv4Bytes, macBytes, parseCidr } from './ipv4.js';
import { NetlinkSocket, type NetlinkTransport } from './socket.js';

export interface LinkInfo {
  name: string;
  index: number;
  /** IFLA_INFO_KIND: 'bridge', 'veth', …; undefined for devices without one (lo, physical NICs). */
  kind?: string;
  /** The name of the bridge this link is a port of. */
  master?: string;
  mtu: number;
  up: boolean;
}

export interface Ipv4AddressInfo {
  ifname: string;
  /** The address with its prefix, e.g. 10.88.0.1/16. */
  cidr: string;
}

export interface Ipv4RouteInfo {
  /** The destination with its prefix; the default route is 0.0.0.0/0. */
  dst: string;
  gateway?: string;
  ifname?: string;
}

export interface BridgeOptions {
  mtu?: number;
}

export interface VethOptions {
  /** The namespace the peer is created in: an fd of it, or the path of a pinned one; default the same as the host end. */
  peerNetns?: number | string;
  mtu?: number;
  peerMac?: string;
}

const IFINFOMSG_LEN = 16;
const IFADDRMSG_LEN = 8;
const RTMSG_LEN = 12;
/** IFNAMSIZ less its NUL. */
const IFNAME_MAX = 15;

/** The kernel's dev_valid_name: 1-15 bytes, not . or .., no '/', ':' or white space. */
export function checkLinkName(name: string): void {
  if (!name || Buffer.byteLength(name) > IFNAME_MAX || name === '.' || name === '..' || /[/:\s]/.test(name)) {
    throw new InvalidArgumentError(`invalid network interface name: "${name}" (1-${IFNAME_MAX} bytes, no '/', ':' or spaces)`);
  }
}

function checkMtu(mtu: number): void {
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw new InvalidArgumentError(`invalid MTU: ${mtu} (68-65535)`);
}

function linkMsg(index = 0, flags = 0, change = 0): Buffer {
  return encodeIfInfoMsg({ family: AF_UNSPEC, type: 0, index, flags, change });
}

/** The kernel's errno as one of berth's error kinds, with what was being done. */
function netlinkError(action: string, err: unknown): BerthError | unknown {
  if (!isSystemError(err)) return err;
  const text = `${action}: ${err.message}`;
  switch (err.code) {
    case 'EEXIST':
    case 'EADDRINUSE':
      return new ConflictError(text, { cause: err });
    case 'ENODEV':
      return new NotFoundError(text, { cause: err });
    case 'EINVAL':
    case 'ERANGE':
      return new InvalidArgumentError(text, { cause: err });
    default:
      return new InternalError(text, { cause: err });
  }
}

export class Rtnetlink {
  private seq = 0;

  constructor(private readonly transport: NetlinkTransport) {}

  /** Opens rtnetlink in the namespace pinned at netnsPath, or in the caller's own for ''. */
  static open(netnsPath = ''): Rtnetlink {
    return new Rtnetlink(new NetlinkSocket(netnsPath));
  }

  close(): void {
    this.transport.close();
  }

  createBridge(name: string, opts: BridgeOptions = {}): void {
    checkLinkName(name);
    const attrs: Attr[] = [{ type: IFLA.IFNAME, value: attrString(name) }];
    if (opts.mtu !== undefined) {
      checkMtu(opts.mtu);
      attrs.push({ type: IFLA.MTU, value: attrU32(opts.mtu) });
    }
    attrs.push({ type: IFLA.LINKINFO, value: [{ type: IFLA_INFO.KIND, value: attrString('bridge') }] });
    this.send(`create bridge ${name}`, RTM.NEWLINK, NLM_F.CREATE | NLM_F.EXCL, linkMsg(), attrs);
  }

  /** A veth pair; the peer is made directly in its namespace (IFLA_NET_NS_FD in VETH_INFO_PEER), under its final name. */
  createVethPair(hostName: string, peerName: string, opts: VethOptions = {}): void {
    checkLinkName(hostName);
    checkLinkName(peerName);
    if (opts.mtu !== undefined) checkMtu(opts.mtu);
    const ownFd = typeof opts.peerNetns === 'string' ? openNetns(opts.peerNetns) : undefined;
    try {
      const nsFd = ownFd ?? (typeof opts.peerNetns === 'number' ? opts.peerNetns : undefined);
      const peer: Attr[] = [{ type: IFLA.IFNAME, value: attrString(peerName) }];
      if (opts.mtu !== undefined) peer.push({ type: IFLA.MTU, value: attrU32(opts.mtu) });
      if (opts.peerMac !== undefined) peer.push({ type: IFLA.ADDRESS, value: macBytes(opts.peerMac) });
      if (nsFd !== undefined) peer.push({ type: IFLA.NET_NS_FD, value: attrU32(nsFd) });
      const attrs: Attr[] = [{ type: IFLA.IFNAME, value: attrString(hostName) }];
      if (opts.mtu !== undefined) attrs.push({ type: IFLA.MTU, value: attrU32(opts.mtu) });
      attrs.push({
        type: IFLA.LINKINFO,
        value: [
          { type: IFLA_INFO.KIND, value: attrString('veth') },
          { type: IFLA_INFO.DATA, value: [{ type: VETH_INFO_PEER, value: Buffer.concat([linkMsg(), encodeAttrs(peer)]) }] },
        ],
      });
      this.send(`create veth ${hostName} (peer ${peerName})`, RTM.NEWLINK, NLM_F.CREATE | NLM_F.EXCL, linkMsg(), attrs);
    } finally {
      if (ownFd !== undefined) closeSync(ownFd);
    }
  }

  setUp(name: string): void {
    const index = this.linkIndex(name);
    this.send(`set ${name} up`, RTM.SETLINK, 0, linkMsg(index, IFF_UP, IFF_UP), []);
  }

  setMaster(name: string, bridge: string): void {
    const index = this.linkIndex(name);
    const master = this.linkIndex(bridge);
    this.send(`attach ${name} to ${bridge}`, RTM.SETLINK, 0, linkMsg(index), [{ type: IFLA.MASTER, value: attrU32(master) }]);
  }

  setMtu(name: string, mtu: number): void {
    checkMtu(mtu);
    const index = this.linkIndex(name);
    this.send(`set the MTU of ${name}`, RTM.SETLINK, 0, linkMsg(index), [{ type: IFLA.MTU, value: attrU32(mtu) }]);
  }

  /** Adds an IPv4 address with its prefix, e.g. '10.88.0.1/16' (its broadcast set, as `ip addr add … brd +`). */
  addAddress(name: string, cidr: string): void {
    const prefix = parseCidr(cidr);
    const index = this.linkIndex(name);
    const attrs: Attr[] = [
      { type: IFA.LOCAL, value: prefix.address },
      { type: IFA.ADDRESS, value: prefix.address },
    ];
    if (prefix.prefixLength < 31) attrs.push({ type: IFA.BROADCAST, value: broadcastOf(prefix) });
    const msg = encodeIfAddrMsg({ family: AF_INET, prefixlen: prefix.prefixLength, flags: 0, scope: RT_SCOPE_UNIVERSE, index });
    this.send(`add address ${cidr} to ${name}`, RTM.NEWADDR, NLM_F.CREATE | NLM_F.EXCL, msg, attrs);
  }

  /** The main table's default route through gateway (reachable on a directly connected subnet). */
  addDefaultRoute(gateway: string): void {
    const msg = encodeRtMsg({
      family: AF_INET, dstLen: 0, srcLen: 0, tos: 0, table: RT_TABLE_MAIN, protocol: RTPROT_BOOT,
      scope: RT_SCOPE_UNIVERSE, type: RTN_UNICAST, flags: 0,
    });
    this.send(`add default route via ${gateway}`, RTM.NEWROUTE, NLM_F.CREATE | NLM_F.EXCL, msg, [
      { type: RTA.GATEWAY, value: ipv4Bytes(gateway) },
    ]);
  }

  /** Deletes a link (a veth takes its peer along); false when there was none. */
  deleteLink(name: string): boolean {
    checkLinkName(name);
    try {
      this.send(`delete ${name}`, RTM.DELLINK, 0, linkMsg(), [{ type: IFLA.IFNAME, value: attrString(name) }]);
      return true;
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      throw err;
    }
  }

  linkIndex(name: string): number {
    checkLinkName(name);
    const [reply] = this.send(`find ${name}`, RTM.GETLINK, 0, linkMsg(), [{ type: IFLA.IFNAME, value: attrString(name) }]);
    if (!reply) throw new NotFoundError(`no such network interface: ${name}`);
    return decodeIfInfoMsg(decodeMessage(reply, IFINFOMSG_LEN).fixed).index;
  }

  linkExists(name: string): boolean {
    try {
      this.linkIndex(name);
      return true;
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      throw err;
    }
  }

  listLinks(): LinkInfo[] {
    const raw = this.send('list links', RTM.GETLINK, NLM_F.DUMP, linkMsg(), []).map((reply) => {
      const m = decodeMessage(reply, IFINFOMSG_LEN);
      const info = decodeIfInfoMsg(m.fixed);
      const linkinfo = findAttr(m.attrs, IFLA.LINKINFO);
      const kind = linkinfo && findAttr(decodeAttrs(linkinfo), IFLA_INFO.KIND);
      const master = findAttr(m.attrs, IFLA.MASTER);
      const mtu = findAttr(m.attrs, IFLA.MTU);
      return {
        name: readAttrString(findAttr(m.attrs, IFLA.IFNAME) ?? Buffer.alloc(0)),
        index: info.index,
        kind: kind && readAttrString(kind),
        masterIndex: master && readAttrU32(master),
        mtu: mtu ? readAttrU32(mtu) : 0,
        up: (info.flags & IFF_UP) !== 0,
      };
    });
    const names = new Map(raw.map((l) => [l.index, l.name]));
    return raw.map(({ masterIndex, kind, ...l }) => ({
      ...l,
      ...(kind === undefined ? {} : { kind }),
      ...(masterIndex === undefined ? {} : { master: names.get(masterIndex) ?? String(masterIndex) }),
    }));
  }

  listIPv4Addresses(): Ipv4AddressInfo[] {
    const names = this.linkNames();
    return this.send('list addresses', RTM.GETADDR, NLM_F.DUMP, encodeIfAddrMsg({ family: AF_INET, prefixlen: 0, flags: 0, scope: 0, index: 0 }), [])
      .map((reply) => decodeMessage(reply, IFADDRMSG_LEN))
      .flatMap((m) => {
        const info = decodeIfAddrMsg(m.fixed);
        const addr = findAttr(m.attrs, IFA.LOCAL) ?? findAttr(m.attrs, IFA.ADDRESS);
        if (info.family !== AF_INET || !addr) return [];
        return [{ ifname: names.get(info.index) ?? String(info.index), cidr: `${formatIpv4(addr)}/${info.prefixlen}` }];
      });
  }

  /** The IPv4 routes of the main table (the ones `ip route` shows). */
  listIPv4Routes(): Ipv4RouteInfo[] {
    const names = this.linkNames();
    const req = encodeRtMsg({ family: AF_INET, dstLen: 0, srcLen: 0, tos: 0, table: 0, protocol: 0, scope: 0, type: 0, flags: 0 });
    return this.send('list routes', RTM.GETROUTE, NLM_F.DUMP, req, [])
      .map((reply) => decodeMessage(reply, RTMSG_LEN))
      .flatMap((m) => {
        const rt = decodeRtMsg(m.fixed);
        const tableAttr = findAttr(m.attrs, RTA.TABLE);
        const table = tableAttr ? readAttrU32(tableAttr) : rt.table;
        if (rt.family !== AF_INET || table !== RT_TABLE_MAIN) return [];
        const dst = findAttr(m.attrs, RTA.DST);
        const gateway = findAttr(m.attrs, RTA.GATEWAY);
        const oif = findAttr(m.attrs, RTA.OIF);
        const route: Ipv4RouteInfo = { dst: `${dst ? formatIpv4(dst) : '0.0.0.0'}/${rt.dstLen}` };
        if (gateway) route.gateway = formatIpv4(gateway);
        if (oif) route.ifname = names.get(readAttrU32(oif)) ?? String(readAttrU32(oif));
        return [route];
      });
  }

  private linkNames(): Map<number, string> {
    return new Map(this.listLinks().map((l) => [l.index, l.name]));
  }

  private send(action: string, type: number, flags: number, fixed: Buffer, attrs: Attr[]): Buffer[] {
    this.seq = (this.seq + 1) >>> 0;
    const msg = encodeMessage({ type, flags: NLM_F.REQUEST | NLM_F.ACK | flags, seq: this.seq, pid: 0 }, fixed, attrs);
    try {
      return this.transport.request(msg);
    } catch (err) {
      throw netlinkError(action, err);
    }
  }
}
