/**
 * The volume commands (`volume create/ls/inspect/rm/prune`), `rm -v`'s removal of a
 * container's anonymous volumes and `system df`'s volume line. Which container uses which
 * volume is read from the containers' records, under the containers' lock, so a volume in
 * use (by a container running or not) is never removed.
 */
import { randomBytes } from 'node:crypto';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../errors.js';
import type { ContainerRecord } from '../container/record.js';
import { matchesLabel } from '../container/labels.js';
import { treeSize } from '../util/tree-size.js';
import { ANONYMOUS_LABEL, isAnonymous, type VolumeInspect, type VolumeRecord } from './record.js';
import { VolumeStore } from './store.js';

/** docker's volume filters as the API carries them: name → values. */
export type VolumeFilters = Readonly<Record<string, readonly string[]>>;

export interface VolumeUsage {
  total: number;
  active: number;
  size: number;
  reclaimable: number;
}

export interface VolumeCreateOptions {
  /** Omitted or empty: an anonymous volume named by 64 hex digits. */
  name?: string;
  labels?: Record<string, string>;
}

interface ContainerAccess {
  list(): Promise<ContainerRecord[]>;
  locked<T>(fn: () => Promise<T>): Promise<T>;
}

const FILTERS = new Set(['dangling', 'driver', 'label', 'name']);

function volumeNames(rec: ContainerRecord): string[] {
  return rec.Mounts.flatMap((m) => (m.Type === 'volume' && m.Name ? [m.Name] : []));
}

export class VolumeManager {
  readonly store: VolumeStore;

  constructor(
    root: string,
    private readonly containers: ContainerAccess,
  ) {
    this.store = new VolumeStore(root);
  }

  async create(opts: VolumeCreateOptions = {}): Promise<VolumeInspect> {
    const name = opts.name ?? '';
    const labels = opts.labels ?? {};
    const rec = await this.store.create(name === '' ? randomBytes(32).toString('hex') : name, name === '' ? { ...labels, [ANONYMOUS_LABEL]: '' } : labels);
    return this.store.inspect(rec);
  }

  inspect(name: string): VolumeInspect {
    const rec = this.store.load(name);
    if (!rec) throw new NotFoundError(`No such volume: ${name}`);
    return this.store.inspect(rec);
  }

  /** Ids of the containers using each volume. */
  private async users(): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const c of await this.containers.list()) for (const n of volumeNames(c)) out.set(n, [...(out.get(n) ?? []), c.Id]);
    return out;
  }

  async list(filters: VolumeFilters = {}): Promise<VolumeInspect[]> {
    for (const key of Object.keys(filters)) if (!FILTERS.has(key)) throw new InvalidArgumentError(`invalid filter '${key}'`);
    const dangling = filters['dangling'] ?? [];
    for (const d of dangling) if (!['true', 'false', '1', '0'].includes(d)) throw new InvalidArgumentError(`invalid filter 'dangling=${d}'`);
    const users = dangling.length > 0 ? await this.users() : new Map<string, string[]>();
    const match = (rec: VolumeRecord): boolean => {
      const names = filters['name'] ?? [];
      if (names.length > 0 && !names.some((n) => rec.Name.includes(n))) return false;
      const drivers = filters['driver'] ?? [];
      if (drivers.length > 0 && !drivers.includes('local')) return false;
      if (!(filters['label'] ?? []).every((l) => matchesLabel(rec.Labels, l))) return false;
      return dangling.every((d) => (d === 'true' || d === '1') === !users.has(rec.Name));
    };
    return this.store
      .list()
      .filter(match)
      .sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0))
      .map((r) => this.store.inspect(r));
  }

  /** `volume rm`: refused while any container uses the volume; force: a missing one is no error. */
  async remove(name: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.containers.locked(async () => {
      if (!this.store.load(name)) {
        if (opts.force) return;
        throw new NotFoundError(`get ${name}: no such volume`);
      }
      const ids = (await this.users()).get(name);
      if (ids) throw new ConflictError(`remove ${name}: volume is in use - [${ids.join(', ')}]`);
      await this.store.remove(name);
    });
  }

  /** `volume prune`: volumes no container uses; only anonymous ones unless all. */
  async prune(opts: { all?: boolean; filters?: VolumeFilters } = {}): Promise<{ deleted: string[]; reclaimed: number }> {
    return this.containers.locked(async () => {
      const users = await this.users();
      const labels = opts.filters?.['label'] ?? [];
      const deleted: string[] = [];
      let reclaimed = 0;
      for (const rec of this.store.list()) {
        if (users.has(rec.Name) || (!opts.all && !isAnonymous(rec))) continue;
        if (!labels.every((l) => matchesLabel(rec.Labels, l))) continue;
        reclaimed += await treeSize(this.store.mountpoint(rec.Name));
        await this.store.remove(rec.Name);
        deleted.push(rec.Name);
      }
      return { deleted, reclaimed };
    });
  }

  /**
   * Removes the anonymous volumes of a removed container (`rm -v`, `--rm`) that no other
   * container uses (one given them with --volumes-from keeps them). Named volumes stay.
   */
  async removeAnonymous(rec: ContainerRecord): Promise<void> {
    await this.containers.locked(async () => {
      const users = await this.users();
      for (const name of volumeNames(rec)) {
        const vol = this.store.load(name);
        const others = (users.get(name) ?? []).filter((id) => id !== rec.Id);
        if (vol && isAnonymous(vol) && others.length === 0) await this.store.remove(name);
      }
    });
  }

  async usage(): Promise<VolumeUsage> {
    const users = await this.users();
    let size = 0;
    let reclaimable = 0;
    const all = this.store.list();
    for (const rec of all) {
      const s = await treeSize(this.store.mountpoint(rec.Name));
      size += s;
      if (!users.has(rec.Name)) reclaimable += s;
    }
    return { total: all.length, active: all.filter((r) => users.has(r.Name)).length, size, reclaimable };
  }
}
