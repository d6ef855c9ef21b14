/**
 * A container's place on its networks, from create to exit: which networks and ports a new
 * container asks for, and at start the network namespace, veths, leases, NAT rules and hosts
 * entries it runs with; at exit all of it is taken back. Runs under the containers lock, so
 * the NAT table is always rendered from a consistent view of the running containers.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ContainerRecord, EndpointSettings } from '../container/record.js';
import { rewriteHosts, type HostsEntry } from '../container/etc-files.js';
import { ConflictError, InvalidArgumentError, NotFoundError, UnavailableError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { BridgeDriver, NatEndpoint, PublishedPort } from './types.js';
import { linkEnv, parseLink } from './links.js';
import { bridgeName, type NetworkRecord } from './record.js';
import { contains, parseCidr, parseIpv4 } from './cidr.js';
import { withPublishAll } from './ports.js';
import { hostPortIsFree, resolvePorts } from './port-allocation.js';
import { networkSettingsPorts } from './port-format.js';
import { renderRuleset } from './nft-ruleset.js';
import { applyRuleset, findNft } from './nftables.js';

/** What the network store gives this module (network/manager.ts). */
export interface NetworkView {
  Id: string;
  Name: string;
  Driver: string;
  Internal: boolean;
  bridge: string;
  subnet: string;
  gateway: string;
}

export interface NetworkDeps {
  runRoot: string;
  /** A container's dir, where its /etc/hosts lives. */
  containerDir(id: string): string;
  logger: Logger;
  driver: BridgeDriver;
  /** A network by name, id or id prefix (NotFoundError when there is none). */
  network(ref: string): Promise<NetworkView>;
  /** Every bridge network, for the NAT table. */
  bridgeNetworks(): Promise<NetworkView[]>;
  allocate(networkId: string, holder: string, requested?: string): Promise<string>;
  release(networkId: string, holder: string): Promise<void>;
  /** The veth, address and route work in one namespace. */
  links: LinkOps;
  /** The nftables table this engine keeps its NAT rules in (network/root-names.ts). */
  natTable: string;
}

export interface LinkOps {
  createNetns(file: string): void;
  removeNetns(file: string): void;
  /** A veth pair: hostName on the bridge and up; the peer as ifName inside the netns, configured and up. */
  addEndpoint(o: { netns: string; hostName: string; ifName: string; bridge: string; mac: string; cidr: string; gateway?: string }): Promise<void>;
  /** The first ethN not taken inside the namespace (networks come and go on a running container). */
  freeEthName(netns: string): string;
  removeLink(name: string): void;
}

/** What the shim needs to run the container on its networks. */
export interface StartNetwork {
  network: 'new' | 'host' | { path: string };
  ports: PublishedPort[];
  hosts: HostsEntry[];
  env: string[];
}

const PREDEFINED = new Set(['bridge', 'host', 'none']);

/** What this module needs of a network's record. */
export function networkView(rec: NetworkRecord): NetworkView {
  const ipam = rec.IPAM.Config[0];
  return {
    Id: rec.Id,
    Name: rec.Name,
    Driver: rec.Driver,
    Internal: rec.Internal,
    bridge: bridgeName(rec) ?? '',
    subnet: ipam?.Subnet ?? '',
    gateway: ipam?.Gateway ?? '',
  };
}

/** `container:NAME` → NAME. */
export function sharedWith(mode: string): string | undefined {
  return mode.startsWith('container:') ? mode.slice('container:'.length) : undefined;
}

/** docker's "user-defined network": one made by `network create` (names, aliases, --ip work there). */
export function isUserNetwork(mode: string): boolean {
  return !PREDEFINED.has(mode) && sharedWith(mode) === undefined;
}

function prefixLength(cidr: string): number {
  return Number(cidr.split('/')[1]);
}

/** docker's MAC for an address: 02:42 and the four bytes of the IPv4 address. */
export function macFor(ip: string): string {
  return ['02', '42', ...ip.split('.').map((b) => Number(b).toString(16).padStart(2, '0'))].join(':');
}

/** The host end's name: stable for a container on a network, so a crashed start's veth can be found again. */
export function vethName(containerId: string, networkId: string): string {
  return `vb${createHash('sha256').update(`${containerId}/${networkId}`).digest('hex').slice(0, 11)}`;
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** A container's endpoint on a network before it runs there: what it asked for, no address yet. */
function newEndpoint(networkId: string, o: { ip?: string | undefined; aliases?: readonly string[] | undefined }): EndpointSettings {
  return {
    IPAMConfig: o.ip !== undefined ? { IPv4Address: o.ip } : null,
    Links: null,
    Aliases: o.aliases && o.aliases.length > 0 ? [...o.aliases] : null,
    MacAddress: '',
    NetworkID: networkId,
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    DNSNames: null,
  };
}

function shortName(rec: ContainerRecord): string {
  return rec.Name.replace(/^\//, '');
}

export class ContainerNetworking {
  private warnedNoNft = false;

  constructor(private readonly d: NetworkDeps) {}

  netnsFile(id: string): string {
    return path.join(this.d.runRoot, 'netns', id);
  }

  /** The network settings of a new container (at create): checks the mode and the flags that go with it. */
  async settingsFor(o: {
    networkMode: string;
    /** The new container's name, without the slash. */
    name: string;
    ip?: string | undefined;
    aliases: readonly string[];
    links: readonly string[];
    publishing: boolean;
    resolveContainer: (ref: string) => Promise<ContainerRecord>;
  }): Promise<{ NetworkMode: string; Networks: Record<string, EndpointSettings>; Links: string[] | null }> {
    const mode = o.networkMode;
    const user = isUserNetwork(mode);
    if ((o.ip !== undefined || o.aliases.length > 0) && !user) {
      throw new InvalidArgumentError('user specified IP address and aliases are supported only for user defined networks');
    }
    if (o.links.length > 0 && mode !== 'bridge') throw new InvalidArgumentError('links are only supported for the default bridge network');
    const shared = sharedWith(mode);
    if (shared !== undefined) {
      if (o.publishing) throw new ConflictError('conflicting options: port publishing and the container type network mode');
      const other = await o.resolveContainer(shared);
      return { NetworkMode: `container:${other.Id}`, Networks: {}, Links: null };
    }
    if (mode === 'host' || mode === 'none') return { NetworkMode: mode, Networks: {}, Links: null };
    const net = await this.d.network(mode);
    if (net.Driver !== 'bridge') throw new InvalidArgumentError(`network ${mode} is not a bridge network`);
    const subnet = parseCidr(net.subnet);
    const ip = o.ip === undefined ? undefined : parseIpv4(o.ip);
    if (o.ip !== undefined && (subnet === undefined || ip === undefined || !contains(subnet, ip))) {
      throw new InvalidArgumentError(`no configured subnet contains IP address ${o.ip}`);
    }
    const links: string[] = [];
    for (const l of o.links) {
      const spec = parseLink(l);
      const target = await o.resolveContainer(spec.name);
      links.push(`${target.Name}:/${o.name}/${spec.alias}`);
    }
    return {
      NetworkMode: net.Name === 'bridge' ? 'bridge' : net.Name,
      Networks: {
        [net.Name]: newEndpoint(net.Id, o),
      },
      Links: links.length > 0 ? links : null,
    };
  }

  /**
   * Sets up the container's networking before its supervisor starts (under the containers
   * lock; `running` are the other running containers). On failure nothing is left.
   */
  async setUp(rec: ContainerRecord, running: readonly ContainerRecord[]): Promise<StartNetwork> {
    const mode = rec.HostConfig.NetworkMode;
    // On no network of berth's, --add-host still adds its lines.
    if (mode === 'host') return { network: 'host', ports: [], hosts: this.hostsEntries(rec, []), env: [] };
    if (mode === 'none') return { network: 'new', ports: [], hosts: this.hostsEntries(rec, []), env: [] };
    const shared = sharedWith(mode);
    if (shared !== undefined) {
      const other = running.find((r) => r.Id === shared);
      if (!other) throw new ConflictError(`cannot join network of a non running container: ${shared}`);
      const file = other.Runtime.netns ?? `/proc/${other.State.Pid}/ns/net`;
      return { network: { path: file }, ports: [], hosts: this.hostsEntries(other, running), env: [] };
    }
    const file = this.netnsFile(rec.Id);
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    this.d.links.removeNetns(file);
    this.d.links.createNetns(file);
    rec.Runtime.netns = file;
    try {
      let routed = false;
      for (const name of Object.keys(rec.NetworkSettings.Networks)) {
        const net = await this.attach(rec, name, !routed);
        routed ||= !net.Internal;
      }
      const h = rec.HostConfig;
      const exposed = Object.keys(rec.Config.ExposedPorts ?? {});
      const bindings = h.PublishAllPorts ? withPublishAll(exposed, h.PortBindings) : h.PortBindings;
      // The last run's host ports again where they are free: a restart keeps its -P ports.
      rec.Runtime.ports = await resolvePorts(bindings, { isFree: hostPortIsFree, previous: rec.Runtime.ports });
      rec.NetworkSettings.Ports = networkSettingsPorts(exposed, rec.Runtime.ports);
      await this.applyNat([...running.filter((r) => r.Id !== rec.Id), rec]);
    } catch (err) {
      await this.tearDown(rec, running);
      throw err;
    }
    return { network: { path: file }, ports: rec.Runtime.ports, hosts: this.hostsEntries(rec, running), env: this.linkEnv(rec, running) };
  }

  /** One network's endpoint: lease, veth pair into the netns, address and (if asked) the default route. */
  async attach(rec: ContainerRecord, name: string, defaultRoute: boolean): Promise<NetworkView> {
    const ep = rec.NetworkSettings.Networks[name];
    if (!ep) throw new NotFoundError(`container ${rec.Id} is not connected to network ${name}`);
    const net = await this.d.network(ep.NetworkID);
    const gatewayCidr = `${net.gateway}/${prefixLength(net.subnet)}`;
    await this.d.driver.createBridge(net.bridge, gatewayCidr);
    const ip = await this.d.allocate(net.Id, rec.Id, ep.IPAMConfig?.IPv4Address);
    const mac = macFor(ip);
    const hostName = vethName(rec.Id, net.Id);
    try {
      this.d.links.removeLink(hostName);
      await this.d.links.addEndpoint({
        netns: rec.Runtime.netns!,
        hostName,
        ifName: this.d.links.freeEthName(rec.Runtime.netns!),
        bridge: net.bridge,
        mac,
        cidr: `${ip}/${prefixLength(net.subnet)}`,
        ...(defaultRoute && !net.Internal ? { gateway: net.gateway } : {}),
      });
    } catch (err) {
      await this.d.release(net.Id, rec.Id);
      throw err;
    }
    rec.NetworkSettings.Networks[name] = {
      ...ep,
      NetworkID: net.Id,
      EndpointID: randomBytes(32).toString('hex'),
      Gateway: net.Internal ? '' : net.gateway,
      IPAddress: ip,
      IPPrefixLen: prefixLength(net.subnet),
      MacAddress: mac,
      DNSNames: isUserNetwork(name) ? [shortName(rec), rec.Id.slice(0, 12), ...(ep.Aliases ?? [])] : null,
    };
    return net;
  }

  /** Undoes one endpoint: the veth goes (its peer with it), the lease is released. */
  async detach(rec: ContainerRecord, name: string, removeLink = true): Promise<void> {
    const ep = rec.NetworkSettings.Networks[name];
    if (!ep) return;
    if (removeLink) this.d.links.removeLink(vethName(rec.Id, ep.NetworkID));
    await this.d.release(ep.NetworkID, rec.Id);
    rec.NetworkSettings.Networks[name] = { ...ep, EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, MacAddress: '', DNSNames: null };
  }

  /**
   * Takes back everything setUp made (after the exit, a failed start, or at rm after a start
   * killed half-way): names are derived from the ids, so nothing depends on what the record
   * managed to save. Never throws for what is already gone.
   */
  async tearDown(rec: ContainerRecord, running: readonly ContainerRecord[]): Promise<void> {
    const networks = Object.keys(rec.NetworkSettings.Networks);
    // Deleting a veth waits for the kernel (some 30 ms). Once its namespace is unpinned and holds
    // no process, the kernel destroys the namespace and the veth pair with it, in the background;
    // only a namespace another container still shares (--network container:) needs it done here.
    const shared = running.some((r) => r.Id !== rec.Id && r.HostConfig.NetworkMode === `container:${rec.Id}`);
    for (const name of networks) {
      await this.detach(rec, name, shared).catch((err: unknown) => this.d.logger.warn({ container: rec.Id, network: name, err }, 'could not detach'));
    }
    rec.NetworkSettings.Ports = {};
    if (networks.length > 0 || rec.Runtime.netns) this.d.links.removeNetns(rec.Runtime.netns ?? this.netnsFile(rec.Id));
    rec.Runtime.netns = null;
    if (networks.length > 0) await this.applyNat(running.filter((r) => r.Id !== rec.Id));
  }

  /**
   * Rewrites the /etc/hosts of the running containers that see rec by name (peers on its user
   * networks, containers linked to it), after rec came or went. `running` is the new state.
   */
  syncPeers(rec: ContainerRecord, running: readonly ContainerRecord[]): void {
    const networks = new Set(
      Object.entries(rec.NetworkSettings.Networks)
        .filter(([name]) => isUserNetwork(name))
        .map(([, ep]) => ep.NetworkID),
    );
    for (const peer of running) {
      if (peer.Id === rec.Id) continue;
      const shares = Object.values(peer.NetworkSettings.Networks).some((ep) => networks.has(ep.NetworkID));
      if (!shares) continue;
      try {
        rewriteHosts(this.d.containerDir(peer.Id), this.hostsEntries(peer, running));
      } catch (err) {
        this.d.logger.warn({ container: peer.Id, err }, 'could not update /etc/hosts');
      }
    }
  }

  /** `network connect`: a new endpoint, made at once on a running container. */
  async connect(rec: ContainerRecord, net: NetworkView, opts: { aliases?: string[]; ip?: string }, running: readonly ContainerRecord[]): Promise<void> {
    const mode = rec.HostConfig.NetworkMode;
    if (mode === 'host' || mode === 'none' || sharedWith(mode) !== undefined) {
      throw new ConflictError(`container sharing network namespace with another container or host cannot be connected to any other network`);
    }
    if (net.Driver !== 'bridge') throw new ConflictError(`container cannot be disconnected from host network or connected to host network`);
    if (Object.values(rec.NetworkSettings.Networks).some((ep) => ep.NetworkID === net.Id)) {
      throw new ConflictError(`endpoint with name ${shortName(rec)} already exists in network ${net.Name}`);
    }
    if (opts.ip !== undefined || (opts.aliases?.length ?? 0) > 0) {
      if (!isUserNetwork(net.Name)) throw new InvalidArgumentError('user specified IP address and aliases are supported only for user defined networks');
    }
    rec.NetworkSettings.Networks[net.Name] = newEndpoint(net.Id, opts);
    if (!rec.State.Running || !rec.Runtime.netns) return;
    try {
      // A network joined later never takes over the default route.
      await this.attach(rec, net.Name, false);
    } catch (err) {
      delete rec.NetworkSettings.Networks[net.Name];
      throw err;
    }
    await this.refresh(rec, running);
  }

  /** `network disconnect`: the endpoint goes (at once on a running container). */
  async disconnect(rec: ContainerRecord, net: NetworkView, running: readonly ContainerRecord[]): Promise<void> {
    const name = Object.keys(rec.NetworkSettings.Networks).find((n) => rec.NetworkSettings.Networks[n]!.NetworkID === net.Id);
    if (name === undefined) throw new ConflictError(`container ${rec.Id} is not connected to network ${net.Name}`);
    if (!rec.State.Running) {
      delete rec.NetworkSettings.Networks[name];
      return;
    }
    await this.detach(rec, name);
    // Still listing the network: its peers there are the ones to lose the name.
    const before: ContainerRecord = { ...rec, NetworkSettings: { ...rec.NetworkSettings, Networks: { ...rec.NetworkSettings.Networks } } };
    delete rec.NetworkSettings.Networks[name];
    await this.applyNat([...running, rec]);
    rewriteHosts(this.d.containerDir(rec.Id), this.hostsEntries(rec, running));
    this.syncPeers(before, [...running, rec]);
  }

  /** After a running container's endpoints changed: NAT rules, its own hosts file and its peers'. */
  private async refresh(rec: ContainerRecord, running: readonly ContainerRecord[]): Promise<void> {
    await this.applyNat([...running, rec]);
    rewriteHosts(this.d.containerDir(rec.Id), this.hostsEntries(rec, running));
    this.syncPeers(rec, [...running, rec]);
  }

  /** Renders berth's NAT table from the running containers' endpoints and every bridge network. */
  async applyNat(running: readonly ContainerRecord[]): Promise<void> {
    const networks = await this.d.bridgeNetworks();
    const byId = new Map(networks.map((n) => [n.Id, n]));
    const endpoints: NatEndpoint[] = [];
    for (const r of running) {
      let first = true;
      for (const ep of Object.values(r.NetworkSettings.Networks)) {
        const net = byId.get(ep.NetworkID);
        if (!net || ep.IPAddress === '') continue;
        // Published ports go to the container's address on its first network, as docker's do.
        endpoints.push({ bridge: net.bridge, ip: ep.IPAddress, ports: first ? r.Runtime.ports : [] });
        first = false;
      }
    }
    const nat = networks.map((n) => ({ bridge: n.bridge, subnet: n.subnet, internal: n.Internal }));
    const text = renderRuleset(this.d.natTable, nat, endpoints);
    if (findNft() === undefined) {
      // Without nftables the default bridge still joins containers and the host; ports, NAT out and isolating networks need it.
      if (endpoints.some((e) => e.ports.length > 0) || nat.length > 1) {
        throw new UnavailableError('published ports and user networks need nftables: install the nftables package (nft)');
      }
      if (!this.warnedNoNft) this.d.logger.warn('nft not found: containers on the default bridge get no outbound NAT (install nftables)');
      this.warnedNoNft = true;
      return;
    }
    // Most starts and stops change no rule (no published ports): nft is not run for those.
    const applied = path.join(this.d.runRoot, 'nat-ruleset');
    if (readIfExists(applied) === text) return;
    await applyRuleset(text);
    mkdirSync(this.d.runRoot, { recursive: true, mode: 0o700 });
    writeFileSync(applied, text, { mode: 0o600 });
  }

  /** The container's /etc/hosts lines: its own addresses, links, peers on its user networks, --add-host. */
  hostsEntries(rec: ContainerRecord, running: readonly ContainerRecord[]): HostsEntry[] {
    const entries: HostsEntry[] = [];
    for (const ep of Object.values(rec.NetworkSettings.Networks)) {
      if (ep.IPAddress !== '') entries.push([ep.IPAddress, [rec.Config.Hostname]]);
    }
    for (const link of this.links(rec, running, false)) {
      const names = [link.alias, ...(link.alias === shortName(link.target) ? [] : [shortName(link.target)]), link.target.Id.slice(0, 12)];
      entries.push([link.ip, names]);
    }
    for (const [name, ep] of Object.entries(rec.NetworkSettings.Networks)) {
      if (!isUserNetwork(name)) continue;
      for (const peer of running) {
        if (peer.Id === rec.Id) continue;
        const pep = Object.values(peer.NetworkSettings.Networks).find((p) => p.NetworkID === ep.NetworkID);
        if (!pep || pep.IPAddress === '') continue;
        entries.push([pep.IPAddress, [shortName(peer), ...(pep.Aliases ?? []), peer.Id.slice(0, 12)]]);
      }
    }
    for (const extra of rec.HostConfig.ExtraHosts ?? []) {
      const i = extra.indexOf(':');
      entries.push([extra.slice(i + 1), [extra.slice(0, i)]]);
    }
    return entries;
  }

  /** The running containers linked to (`--link`), with the address they have on the default bridge. */
  private links(rec: ContainerRecord, running: readonly ContainerRecord[], strict = true): Array<{ alias: string; target: ContainerRecord; ip: string }> {
    const out: Array<{ alias: string; target: ContainerRecord; ip: string }> = [];
    for (const l of rec.HostConfig.Links ?? []) {
      const [targetName = '', linkPath = ''] = l.split(':');
      const alias = linkPath.slice(linkPath.lastIndexOf('/') + 1);
      const target = running.find((r) => r.Name === targetName);
      const ip = target ? Object.values(target.NetworkSettings.Networks).find((e) => e.IPAddress !== '')?.IPAddress : undefined;
      if (!target || ip === undefined) {
        if (!strict) continue;
        throw new ConflictError(`Cannot link to a non running container: ${targetName} AS /${shortName(rec)}/${alias}`);
      }
      out.push({ alias, target, ip });
    }
    return out;
  }

  private linkEnv(rec: ContainerRecord, running: readonly ContainerRecord[]): string[] {
    return this.links(rec, running).flatMap(({ alias, target, ip }) =>
      linkEnv({ name: shortName(target), alias }, shortName(rec), {
        name: shortName(target),
        ip,
        exposed: Object.keys(target.Config.ExposedPorts ?? {}),
        env: target.Config.Env,
      }),
    );
  }
}
