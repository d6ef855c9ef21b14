/**
 * The rtnetlink numbers berth uses, from linux/netlink.h, linux/rtnetlink.h, linux/if_link.h,
 * linux/if_addr.h and linux/veth.h (stable kernel ABI).
 */

export const AF_UNSPEC = 0;
export const AF_INET = 2;

export const NLMSG = { ERROR: 2, DONE: 3 } as const;

export const NLM_F = {
  REQUEST: 0x1,
  MULTI: 0x2,
  ACK: 0x4,
  DUMP: 0x300,
  EXCL: 0x200,
  CREATE: 0x400,
} as const;

export const RTM = {
  NEWLINK: 16,
  DELLINK: 17,
  GETLINK: 18,
  SETLINK: 19,
  NEWADDR: 20,
  GETADDR: 22,
  NEWROUTE: 24,
  GETROUTE: 26,
} as const;

export const IFF_UP = 0x1;

export const IFLA = {
  ADDRESS: 1,
  IFNAME: 3,
  MTU: 4,
  MASTER: 10,
  LINKINFO: 18,
  NET_NS_FD: 28,
} as const;

export const IFLA_INFO = { KIND: 1, DATA: 2 } as const;
export const VETH_INFO_PEER = 1;

export const IFA = { ADDRESS: 1, LOCAL: 2, BROADCAST: 4 } as const;

export const RTA = { DST: 1, OIF: 4, GATEWAY: 5, TABLE: 15 } as const;

export const RT_TABLE_MAIN = 254;
export const RTPROT_BOOT = 3;
export const RT_SCOPE_UNIVERSE = 0;
export const RTN_UNICAST = 1;

/** The flag bits of rtattr's type (NLA_F_NESTED, NLA_F_NET_BYTEORDER), masked off when reading. */
export const NLA_TYPE_MASK = 0x3fff;
