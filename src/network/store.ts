/**
 * Network records on disk: `<root>/networks/<id>/network.json`, written atomically. The
 * predefined networks (bridge, host, none) are made the first time the store is used, under
 * the lock every process takes to create or remove networks, so there is only ever one of each.
 */
import { mkdirSync, readdirSync, renameSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { addon } from '../native/addon.js';
import { readJsonFileSync, writeFileAtomic } from '../util/atomic-file.js';
import { withLock } from '../util/lock.js';
import { ownerTag } from '../util/owner-tag.js';
import { isSystemError } from '../errors.js';
import { BRIDGE_NAME_OPTION, PREDEFINED, networkRecordSchema, rfc3339Nano, type NetworkDriverName, type NetworkRecord } from './record.js';
import type { IpamConfig } from './types.js';

const RECORD = 'network.json';

/** Makes the default bridge's IPAM config when the store first makes its record, given the networks there are. */
export type DefaultBridgeIpam = (existing: readonly NetworkRecord[]) => Promise<IpamConfig>;

/** docker's options of its default bridge, with our interface name. */
function defaultBridgeOptions(bridge: string): Record<string, string> {
  return {
    'com.docker.network.bridge.default_bridge': 'true',
    'com.docker.network.bridge.enable_icc': 'true',
    'com.docker.network.bridge.enable_ip_masquerade': 'true',
    'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
    [BRIDGE_NAME_OPTION]: bridge,
    'com.docker.network.driver.mtu': '1500',
  };
}

export function newNetworkId(): string {
  return randomBytes(32).toString('hex');
}

export interface NewRecord {
  name: string;
  driver: NetworkDriverName;
  ipam?: IpamConfig;
  internal?: boolean;
  attachable?: boolean;
  options?: Record<string, string>;
  labels?: Record<string, string>;
}

/** A record as docker fills one for a new local network. */
export function newRecord(id: string, n: NewRecord): NetworkRecord {
  return {
    Name: n.name,
    Id: id,
    Created: rfc3339Nano(new Date()),
    Scope: 'local',
    Driver: n.driver,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: {}, Config: n.ipam ? [n.ipam] : [] },
    Internal: n.internal ?? false,
    Attachable: n.attachable ?? false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Options: n.options ?? {},
    Labels: n.labels ?? {},
  };
}

export class NetworkStore {
  readonly dir: string;
  private readonly lockFile: string;
  private readonly trash: string;
  private predefined: Promise<void> | undefined;

  constructor(
    root: string,
    private readonly defaultBridgeName: string,
    private readonly defaultBridgeIpam: DefaultBridgeIpam,
  ) {
    this.dir = path.join(root, 'networks');
    this.lockFile = path.join(root, 'networks.lock');
    this.trash = path.join(root, 'trash');
  }

  /** Runs fn while holding the lock every process takes to create or remove networks. */
  locked<T>(fn: () => Promise<T>): Promise<T> {
    return withLock(this.lockFile, fn);
  }

  /** `<root>/networks/<id>`: the record and the leases dir. */
  networkDir(id: string): string {
    return path.join(this.dir, id);
  }

  /** A network's record; undefined when there is none (or the id is not one). */
  load(id: string): NetworkRecord | undefined {
    if (!/^[0-9a-f]{64}$/.test(id)) return undefined;
    return readJsonFileSync(path.join(this.dir, id, RECORD), networkRecordSchema);
  }

  /** Every network with a record, the predefined ones made first; a dir without a record is a creation that died half-way. */
  async list(): Promise<NetworkRecord[]> {
    await this.ensurePredefined();
    return this.listRecords();
  }

  private listRecords(): NetworkRecord[] {
    let ids: string[];
    try {
      ids = readdirSync(this.dir);
    } catch (err) {
      if (isSystemError(err, 'ENOENT')) return [];
      throw err;
    }
    return ids.map((id) => this.load(id)).filter((r): r is NetworkRecord => r !== undefined);
  }

  /** Writes a new network's record. The caller holds the lock and has checked the name is free. */
  async save(rec: NetworkRecord): Promise<void> {
    mkdirSync(this.networkDir(rec.Id), { recursive: true, mode: 0o700 });
    await writeFileAtomic(path.join(this.networkDir(rec.Id), RECORD), JSON.stringify(rec), 0o600);
  }

  /** Removes a network's record and leases. The caller holds the lock. */
  async remove(id: string): Promise<void> {
    const to = path.join(this.trash, `${ownerTag()}-net-${randomBytes(4).toString('hex')}`);
    try {
      mkdirSync(this.trash, { recursive: true, mode: 0o700 });
      // Gone for every reader at once; the leases are deleted after.
      renameSync(this.networkDir(id), to);
    } catch (err) {
      if (isSystemError(err, 'ENOENT')) return;
      throw err;
    }
    await addon().removeTree(to);
  }

  /**
   * Makes bridge, host and none unless they exist; once per store, and once over all processes
   * (under the lock). Callers that take the lock call this first: a first use inside another
   * caller's lock would wait on that lock.
   */
  ensurePredefined(): Promise<void> {
    this.predefined ??= this.locked(async () => {
      const existing = this.listRecords();
      const names = new Set(existing.map((r) => r.Name));
      for (const [name, driver] of Object.entries(PREDEFINED)) {
        if (names.has(name)) continue;
        const rec =
          driver === 'bridge'
            ? newRecord(newNetworkId(), { name, driver, ipam: await this.defaultBridgeIpam(existing), options: defaultBridgeOptions(this.defaultBridgeName) })
            : newRecord(newNetworkId(), { name, driver });
        await this.save(rec);
      }
    }).catch((err: unknown) => {
      // A failure (the host's addresses unreadable, say) is tried again on the next use.
      this.predefined = undefined;
      throw err;
    });
    return this.predefined;
  }
}
