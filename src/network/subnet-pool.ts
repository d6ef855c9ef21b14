/**
 * Choosing a bridge network's subnet and gateway as docker's default address pools do:
 * 172.17-31.0.0/16, then 192.168.0-240.0/20, the first that collides with nothing the host
 * routes and no other network; or checking the --subnet and --gateway a user gave.
 */
import { ConflictError, InvalidArgumentError, UnavailableError } from '../errors.js';
import type { IpamConfig } from './types.js';
import { contains, formatCidr, formatIpv4, masked, mustParseCidr, networkAddress, broadcastAddress, overlaps, parseCidr, parseIpv4, type Cidr } from './cidr.js';

/** docker's default address pools, in the order it tries them. */
export function defaultPoolCandidates(): Cidr[] {
  const out: Cidr[] = [];
  for (let b = 17; b <= 31; b++) out.push({ addr: ((172 << 24) | (b << 16)) >>> 0, prefix: 16 });
  for (let c = 0; c <= 240; c += 16) out.push({ addr: ((192 << 24) | (168 << 16) | (c << 8)) >>> 0, prefix: 20 });
  return out;
}

/**
 * The host's CIDRs that a new subnet must avoid. A default route (/0) overlaps everything and
 * says nothing about which addresses are in use; entries that are not IPv4 CIDRs are not ours to judge.
 */
function hostBlocks(hostCidrs: readonly string[]): Cidr[] {
  return hostCidrs.flatMap((text) => {
    const c = parseCidr(text);
    return c && c.prefix > 0 ? [masked(c)] : [];
  });
}

/** The first default pool that overlaps none of the host's CIDRs and no other network's subnet. */
export function pickSubnet(hostCidrs: readonly string[], networkSubnets: readonly string[]): string {
  const taken = [...hostBlocks(hostCidrs), ...networkSubnets.map((s) => mustParseCidr(s, 'subnet'))];
  const free = defaultPoolCandidates().find((c) => !taken.some((t) => overlaps(c, t)));
  if (!free) throw new UnavailableError('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
  return formatCidr(free);
}

/** --subnet as docker validates it: strict CIDR notation, host bits clear, room for a gateway and a container. */
export function validateSubnet(subnet: string): Cidr {
  const c = parseCidr(subnet);
  if (!c) throw new InvalidArgumentError(`invalid network config: invalid subnet ${subnet}: invalid CIDR block notation`);
  const m = masked(c);
  if (m.addr !== c.addr) throw new InvalidArgumentError(`invalid network config: invalid subnet ${subnet}: it should be ${formatCidr(m)}`);
  if (c.prefix > 30) throw new InvalidArgumentError(`invalid network config: invalid subnet ${subnet}: a bridge network needs a /30 or larger block`);
  return c;
}

/** The gateway: the one given (inside the subnet, not its network or broadcast address), else the first host address. */
export function gatewayFor(subnet: Cidr, gateway?: string): string {
  if (gateway === undefined || gateway === '') return formatIpv4(networkAddress(subnet) + 1);
  const addr = parseIpv4(gateway);
  const prefix = `invalid network config: invalid gateway ${gateway}`;
  if (addr === undefined) throw new InvalidArgumentError(`${prefix}: invalid address`);
  if (!contains(subnet, addr)) throw new InvalidArgumentError(`${prefix}: parent subnet ${formatCidr(subnet)} doesn't contain this address`);
  if (addr === networkAddress(subnet) || addr === broadcastAddress(subnet)) {
    throw new InvalidArgumentError(`${prefix}: it is the network or broadcast address of ${formatCidr(subnet)}`);
  }
  return gateway;
}

export interface IpamRequest {
  subnet?: string;
  gateway?: string;
}

/**
 * A new bridge network's IPAM config. A subnet given may not overlap another network's (as
 * docker, it may overlap the host's routes: the user chose it); one picked overlaps neither.
 */
export function chooseIpam(req: IpamRequest, hostCidrs: readonly string[], networkSubnets: readonly string[]): IpamConfig {
  if (req.subnet === undefined || req.subnet === '') {
    if (req.gateway) throw new InvalidArgumentError('every ip-range or gateway must have a corresponding subnet');
    const subnet = pickSubnet(hostCidrs, networkSubnets);
    return { Subnet: subnet, Gateway: gatewayFor(mustParseCidr(subnet, 'subnet')) };
  }
  const subnet = validateSubnet(req.subnet);
  if (networkSubnets.some((s) => overlaps(subnet, mustParseCidr(s, 'subnet')))) throw new ConflictError('Pool overlaps with other one on this address space');
  return { Subnet: formatCidr(subnet), Gateway: gatewayFor(subnet, req.gateway) };
}
