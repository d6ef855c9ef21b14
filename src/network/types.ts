/**
 * The shapes the network parts pass between them: docker's port and network shapes
 * (what inspect shows) and the plain data the bridge, NAT and IPAM parts work from.
 */

export type PortProtocol = 'tcp' | 'udp';

/** docker's PortBinding: HostIp '' means every address; HostPort '' means a free port. */
export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

/** docker's PortMap: "80/tcp" → its bindings (null: exposed, not published). */
export type PortMap = Record<string, PortBinding[] | null>;

/** One published port, resolved: a real host port, an address ('0.0.0.0' for every one). */
export interface PublishedPort {
  protocol: PortProtocol;
  hostIp: string;
  hostPort: number;
  containerPort: number;
}

/** A bridge network as the NAT rules see it. */
export interface NatNetwork {
  /** The bridge interface, e.g. berth0. */
  bridge: string;
  /** IPv4 CIDR, e.g. 10.88.0.0/16. */
  subnet: string;
  /** No route out and no forwarding to or from other interfaces. */
  internal: boolean;
}

/** A container's address on a bridge and the ports published to it. */
export interface NatEndpoint {
  bridge: string;
  ip: string;
  ports: PublishedPort[];
}
