/**
 * Address leases of bridge networks: `<root>/networks/<id>/leases/<ip>`, each file holding the
 * id of its holder (a container). One address per holder per network.
 *
 * An address is taken by link(2)ing a complete temp file to the lease's name: the link fails
 * with EEXIST when another process took it first, and a crash leaves either no lease or a
 * whole one (a stray temp file at most, which reap removes). No lock is shared between
 * allocations, so containers starting at once do not wait for each other.
 */
import { link, mkdir, open, readFile, readdir, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { removeStaleTempFiles } from '../util/atomic-file.js';
import { ownerTag } from '../util/owner-tag.js';
import { ConflictError, InvalidArgumentError, NotFoundError, UnavailableError, isSystemError } from '../errors.js';
import { broadcastAddress, contains, formatCidr, formatIpv4, mustParseCidr, networkAddress, parseIpv4 } from './cidr.js';
import type { NetworkStore } from './store.js';

export interface Lease {
  ip: string;
  holder: string;
}

/** Lease names are addresses; temp files start with a dot, as the atomic writer's (so its cleaner knows them). */
function tempName(): string {
  return `.lease.tmp-${ownerTag()}-${randomBytes(4).toString('hex')}`;
}

async function readHolder(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if (isSystemError(err, 'ENOENT')) return undefined;
    throw err;
  }
}

export class Ipam {
  constructor(private readonly store: NetworkStore) {}

  private leaseDir(networkId: string): string {
    return path.join(this.store.networkDir(networkId), 'leases');
  }

  /** Every lease of a network, lowest address first. */
  async leases(networkId: string): Promise<Lease[]> {
    const dir = this.leaseDir(networkId);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if (isSystemError(err, 'ENOENT')) return [];
      throw err;
    }
    const out: Lease[] = [];
    for (const ip of names) {
      if (ip.startsWith('.')) continue;
      const holder = await readHolder(path.join(dir, ip));
      if (holder !== undefined) out.push({ ip, holder });
    }
    return out.sort((a, b) => (parseIpv4(a.ip) ?? 0) - (parseIpv4(b.ip) ?? 0));
  }

  /** The holder of an address; undefined when it is free. */
  async holderOf(networkId: string, ip: string): Promise<string | undefined> {
    if (parseIpv4(ip) === undefined) return undefined;
    return readHolder(path.join(this.leaseDir(networkId), ip));
  }

  /** The holder's address on the network, if it has one. */
  async addressOf(networkId: string, holder: string): Promise<string | undefined> {
    return (await this.leases(networkId)).find((l) => l.holder === holder)?.ip;
  }

  /**
   * An address for holder: the one it holds already, else `requested` (docker's --ip), else the
   * lowest free one. Never the network, gateway or broadcast address. One holder allocates on
   * one network at a time (the engine does one container's start at a time).
   */
  async allocate(networkId: string, holder: string, requested?: string): Promise<string> {
    const rec = this.store.load(networkId);
    const config = rec?.IPAM.Config[0];
    if (!rec || !config) throw new NotFoundError(`network ${networkId} not found or has no IPv4 subnet`);
    const subnet = mustParseCidr(config.Subnet, 'subnet');
    const first = networkAddress(subnet);
    const last = broadcastAddress(subnet);
    const reserved = new Set([first, last, parseIpv4(config.Gateway)]);

    if (requested !== undefined) {
      const want = parseIpv4(requested);
      if (want === undefined) throw new InvalidArgumentError(`invalid IPv4 address: ${requested}`);
      if (!contains(subnet, want)) throw new InvalidArgumentError(`Invalid address ${requested}: It does not belong to any of this network's subnets (${formatCidr(subnet)})`);
    }
    const held = await this.addressOf(networkId, holder);
    if (held !== undefined && (requested === undefined || requested === held)) return held;
    if (held !== undefined) throw new ConflictError(`${holder} already holds ${held} on network ${rec.Name}`);

    const dir = this.leaseDir(networkId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const tmp = path.join(dir, tempName());
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(holder);
      // The lease's content is on disk before its name is: a power loss leaves no empty lease.
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      if (requested !== undefined) {
        if (reserved.has(parseIpv4(requested)) || !(await this.take(tmp, dir, requested))) throw new ConflictError(`Address already in use: ${requested} on network ${rec.Name}`);
        return requested;
      }
      const taken = new Set((await readdir(dir)).filter((n) => !n.startsWith('.')));
      for (let a = first + 1; a < last; a++) {
        if (reserved.has(a)) continue;
        const ip = formatIpv4(a);
        // Another process may take it between the listing and the link: link says so.
        if (!taken.has(ip) && (await this.take(tmp, dir, ip))) return ip;
      }
      throw new UnavailableError(`no available addresses on this pool: network ${rec.Name} (${config.Subnet}) is full`);
    } finally {
      await unlink(tmp);
    }
  }

  /** Links the filled temp file to the lease's name; false when another holder has it. */
  private async take(tmp: string, dir: string, ip: string): Promise<boolean> {
    try {
      await link(tmp, path.join(dir, ip));
      return true;
    } catch (err) {
      if (isSystemError(err, 'EEXIST')) return false;
      throw err;
    }
  }

  /** Frees the holder's address on the network; none held is fine. */
  async release(networkId: string, holder: string): Promise<void> {
    for (const l of await this.leases(networkId)) {
      if (l.holder !== holder) continue;
      try {
        await unlink(path.join(this.leaseDir(networkId), l.ip));
      } catch (err) {
        if (!isSystemError(err, 'ENOENT')) throw err;
      }
    }
  }

  /**
   * Drops the leases whose holders are gone and the temp files of dead allocators (the repair
   * after a crash). Call it where no holder can be half-made: under the containers' lock.
   */
  async reap(isLive: (holder: string) => boolean | Promise<boolean>): Promise<Lease[]> {
    const dropped: Lease[] = [];
    for (const rec of await this.store.list()) {
      const dir = this.leaseDir(rec.Id);
      await removeStaleTempFiles(dir);
      for (const l of await this.leases(rec.Id)) {
        if (await isLive(l.holder)) continue;
        try {
          await unlink(path.join(dir, l.ip));
          dropped.push(l);
        } catch (err) {
          if (!isSystemError(err, 'ENOENT')) throw err;
        }
      }
    }
    return dropped;
  }
}
