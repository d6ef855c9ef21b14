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

/** docker's IPAM.Config entry. */
export interface IpamConfig {
  Subnet: string;
  Gateway: string;
}

/**
 * What the network store asks of the host for bridge networks (network/bridge-driver.ts
 * does it through netlink; unit tests pass a fake).
 */
export interface BridgeDriver {
  /** IPv4 CIDRs of every address and route on the host: a new subnet must overlap none. */
  hostCidrs(): Promise<string[]>;
  /** Creates the bridge with the gateway address and brings it up; an existing one is kept. */
  createBridge(bridge: string, gatewayCidr: string): Promise<void>;
  /** Deletes the bridge; one already gone is fine. */
  removeBridge(bridge: string): Promise<void>;
}
