/**
 * The network commands (`network create/ls/inspect/rm/prune`). Which container is on which
 * network is read from the containers' records (through NetworkUsers), under the containers'
 * lock, so a network a container is attached to is never removed.
 */
import { ConflictError, InvalidArgumentError, NotFoundError, PermissionDeniedError } from '../errors.js';
import { matchesLabel } from '../container/labels.js';
import { Ipam } from './ipam.js';
import { NetworkStore, newNetworkId, newRecord } from './store.js';
import { chooseIpam, gatewayFor, validateSubnet } from './subnet-pool.js';
import {
  BRIDGE_NAME_OPTION,
  NETWORK_NAME,
  bridgeName,
  inspectView,
  isPredefined,
  userBridgeName,
  type NetworkEndpoint,
  type NetworkInspect,
  type NetworkRecord,
} from './record.js';
import type { BridgeDriver, IpamConfig } from './types.js';

/** docker's network filters as the API carries them: name → values. */
export type NetworkFilters = Readonly<Record<string, readonly string[]>>;

/** A container whose record lists a network, with its endpoint there. */
export interface AttachedContainer {
  id: string;
  /** Without docker's leading slash. */
  name: string;
  endpointId: string;
  macAddress: string;
  /** `a.b.c.d/nn`, '' when it has no address yet. */
  ipv4Address: string;
}

/** What the network manager asks of the containers. */
export interface NetworkUsers {
  /** The containers attached to the network. */
  attachedContainers(networkId: string): Promise<AttachedContainer[]>;
  /** Runs fn while no container is created, attached or removed (the containers' lock). */
  locked<T>(fn: () => Promise<T>): Promise<T>;
}

export interface DefaultBridgeConfig {
  /** The interface, e.g. berth0. */
  name: string;
  /** Its subnet; picked from docker's default pools when not given. */
  subnet?: string;
}

export interface NetworkManagerOptions {
  driver: BridgeDriver;
  defaultBridge: DefaultBridgeConfig;
  users: NetworkUsers;
}

export interface NetworkCreateOptions {
  name: string;
  /** Only bridge networks can be made; host and none exist once each. */
  driver?: string;
  subnet?: string;
  gateway?: string;
  internal?: boolean;
  attachable?: boolean;
  labels?: Record<string, string>;
}

export interface NetworkCreateResult {
  Id: string;
  Warning: string;
}

const LIST_FILTERS = new Set(['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type']);
const PRUNE_FILTERS = new Set(['label', 'label!', 'until']);

/** An until= value as the API carries it: unix seconds (with a fraction) or an RFC 3339 time; in ms. */
function untilMs(value: string): number {
  const ms = /^\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`invalid filter 'until=${value}'`);
  return ms;
}

function byName(a: NetworkRecord, b: NetworkRecord): number {
  return a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0;
}

export class NetworkManager {
  readonly store: NetworkStore;
  readonly ipam: Ipam;
  private readonly driver: BridgeDriver;
  private readonly users: NetworkUsers;

  constructor(root: string, opts: NetworkManagerOptions) {
    this.driver = opts.driver;
    this.users = opts.users;
    this.store = new NetworkStore(root, opts.defaultBridge.name, (existing) => this.defaultBridgeIpam(opts.defaultBridge, existing));
    this.ipam = new Ipam(this.store);
  }

  /** The default bridge's subnet: the configured one, else the first default pool nothing uses. */
  private async defaultBridgeIpam(config: DefaultBridgeConfig, existing: readonly NetworkRecord[]): Promise<IpamConfig> {
    if (config.subnet !== undefined && config.subnet !== '') {
      const subnet = validateSubnet(config.subnet);
      return { Subnet: config.subnet, Gateway: gatewayFor(subnet) };
    }
    return chooseIpam({}, await this.driver.hostCidrs(), subnetsOf(existing));
  }

  /** `docker network create`: the record first, then the bridge; a bridge that cannot be made leaves nothing behind. */
  async create(opts: NetworkCreateOptions): Promise<NetworkCreateResult> {
    const { name } = opts;
    const driver = opts.driver ?? 'bridge';
    if (driver === 'host' || driver === 'null') throw new PermissionDeniedError(`only one instance of "${driver}" network is allowed`);
    if (driver !== 'bridge') throw new NotFoundError(`plugin "${driver}" not found`);
    if (!NETWORK_NAME.test(name)) throw new InvalidArgumentError(`invalid network name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    // Only a subnet berth picks must avoid the host's routes; reading them costs a netlink dump.
    const hostCidrs = opts.subnet ? [] : await this.driver.hostCidrs();
    // Made before the lock is taken: making them takes it too.
    await this.store.ensurePredefined();
    return this.store.locked(async () => {
      const records = await this.store.list();
      if (records.some((r) => r.Name === name)) throw new ConflictError(`network with name ${name} already exists`);
      const ipam = chooseIpam({ ...(opts.subnet ? { subnet: opts.subnet } : {}), ...(opts.gateway ? { gateway: opts.gateway } : {}) }, hostCidrs, subnetsOf(records));
      const bridges = new Set(records.map(bridgeName));
      let id = newNetworkId();
      while (bridges.has(userBridgeName(id))) id = newNetworkId();
      const bridge = userBridgeName(id);
      const rec = newRecord(id, {
        name,
        driver: 'bridge',
        ipam,
        internal: opts.internal ?? false,
        attachable: opts.attachable ?? false,
        options: { [BRIDGE_NAME_OPTION]: bridge },
        labels: opts.labels ?? {},
      });
      await this.store.save(rec);
      try {
        await this.driver.createBridge(bridge, `${ipam.Gateway}/${ipam.Subnet.split('/')[1]}`);
      } catch (err) {
        await this.driver.removeBridge(bridge).catch(() => undefined);
        await this.store.remove(id);
        throw err;
      }
      return { Id: id, Warning: '' };
    });
  }

  /**
   * A network by full id, full name or unique id prefix, as docker's FindNetwork looks
   * (a name equal to another network's id prefix loses to the name).
   */
  async resolve(ref: string): Promise<NetworkRecord> {
    const all = await this.store.list();
    const exact = all.find((r) => r.Id === ref) ?? all.find((r) => r.Name === ref);
    if (exact) return exact;
    const byPrefix = ref === '' ? [] : all.filter((r) => r.Id.startsWith(ref));
    if (byPrefix.length > 1) throw new NotFoundError(`network ${ref} is ambiguous (${byPrefix.length} matches found based on ID prefix)`);
    if (byPrefix[0]) return byPrefix[0];
    throw new NotFoundError(`network ${ref} not found`);
  }

  async inspect(ref: string): Promise<NetworkInspect> {
    const rec = await this.resolve(ref);
    return inspectView(rec, await this.endpoints(rec.Id));
  }

  private async endpoints(networkId: string): Promise<Record<string, NetworkEndpoint>> {
    const out: Record<string, NetworkEndpoint> = {};
    for (const c of await this.users.attachedContainers(networkId)) {
      out[c.id] = { Name: c.name, EndpointID: c.endpointId, MacAddress: c.macAddress, IPv4Address: c.ipv4Address, IPv6Address: '' };
    }
    return out;
  }

  /** `docker network ls`: filters name=, id=, label=, driver=, scope=, type=custom|builtin, dangling=; sorted by name. */
  async list(filters: NetworkFilters = {}): Promise<NetworkInspect[]> {
    for (const key of Object.keys(filters)) if (!LIST_FILTERS.has(key)) throw new InvalidArgumentError(`invalid filter '${key}'`);
    for (const t of filters['type'] ?? []) if (t !== 'custom' && t !== 'builtin') throw new InvalidArgumentError(`invalid filter 'type=${t}'`);
    const dangling = filters['dangling'] ?? [];
    for (const d of dangling) if (!['true', 'false', '1', '0'].includes(d)) throw new InvalidArgumentError(`invalid filter 'dangling=${d}'`);
    const any = (key: string, test: (v: string) => boolean): boolean => {
      const values = filters[key] ?? [];
      return values.length === 0 || values.some(test);
    };
    const out: NetworkInspect[] = [];
    for (const rec of (await this.store.list()).sort(byName)) {
      if (!any('name', (v) => rec.Name.includes(v))) continue;
      if (!any('id', (v) => rec.Id.includes(v))) continue;
      if (!any('driver', (v) => rec.Driver === v)) continue;
      if (!any('scope', (v) => rec.Scope === v)) continue;
      if (!any('type', (v) => (v === 'builtin') === isPredefined(rec))) continue;
      if (!(filters['label'] ?? []).every((l) => matchesLabel(rec.Labels, l))) continue;
      const containers = await this.endpoints(rec.Id);
      if (dangling.length > 0) {
        const isDangling = !isPredefined(rec) && Object.keys(containers).length === 0;
        if (!dangling.every((d) => (d === 'true' || d === '1') === isDangling)) continue;
      }
      out.push(inspectView(rec, containers));
    }
    return out;
  }

  /** `docker network rm`: refused for the predefined networks and while a container is attached. */
  async remove(ref: string): Promise<void> {
    await this.store.ensurePredefined();
    await this.users.locked(() =>
      this.store.locked(async () => {
        const rec = await this.resolve(ref);
        if (isPredefined(rec)) throw new PermissionDeniedError(`${rec.Name} is a pre-defined network and cannot be removed`);
        if ((await this.users.attachedContainers(rec.Id)).length > 0) {
          throw new PermissionDeniedError(`error while removing network: network ${rec.Name} id ${rec.Id} has active endpoints`);
        }
        await this.removeUnused(rec);
      }),
    );
  }

  /** Bridge first: a removal that dies half-way leaves a record `network rm` can remove again. */
  private async removeUnused(rec: NetworkRecord): Promise<void> {
    const bridge = bridgeName(rec);
    if (bridge) await this.driver.removeBridge(bridge);
    await this.store.remove(rec.Id);
  }

  /** `docker network prune`: user networks no container is attached to; filters label=, label!=, until=. Returns their names. */
  async prune(opts: { filters?: NetworkFilters } = {}): Promise<{ deleted: string[] }> {
    const filters = opts.filters ?? {};
    for (const key of Object.keys(filters)) if (!PRUNE_FILTERS.has(key)) throw new InvalidArgumentError(`invalid filter '${key}'`);
    const until = (filters['until'] ?? []).map(untilMs);
    await this.store.ensurePredefined();
    return this.users.locked(() =>
      this.store.locked(async () => {
        const deleted: string[] = [];
        for (const rec of (await this.store.list()).sort(byName)) {
          if (isPredefined(rec)) continue;
          if (!(filters['label'] ?? []).every((l) => matchesLabel(rec.Labels, l))) continue;
          if ((filters['label!'] ?? []).some((l) => matchesLabel(rec.Labels, l))) continue;
          if (!until.every((t) => Date.parse(rec.Created) < t)) continue;
          if ((await this.users.attachedContainers(rec.Id)).length > 0) continue;
          await this.removeUnused(rec);
          deleted.push(rec.Name);
        }
        return { deleted };
      }),
    );
  }
}

function subnetsOf(records: readonly NetworkRecord[]): string[] {
  return records.flatMap((r) => r.IPAM.Config.map((c) => c.Subnet));
}
