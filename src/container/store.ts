/**
 * Container records on disk: one dir per container holding its record
 * (config.json, written atomically) and everything else it owns.
 */
import { readFileSync } from 'node:fs';
import { addon } from '../native/addon.js';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { containerRecordSchema, type ContainerRecord } from './record.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { withLock } from '../util/lock.js';
import type { StatePaths } from '../paths.js';
import { InvalidArgumentError, NotFoundError, isSystemError } from '../errors.js';

export class ContainerStore {
  constructor(private readonly paths: StatePaths) {}

  dir(id: string): string {
    return this.paths.container(id);
  }

  file(id: string, name: string): string {
    return path.join(this.dir(id), name);
  }

  /** Runs fn while holding the lock every process takes to create, name or change containers. */
  locked<T>(fn: () => Promise<T>): Promise<T> {
    return withLock(this.paths.containersLock, fn);
  }

  async load(id: string): Promise<ContainerRecord | undefined> {
    let text: string;
    try {
      // Sync: a small local read, on the path of every command (see util/atomic-file.ts).
      text = readFileSync(this.file(id, 'config.json'), 'utf8');
    } catch (err) {
      if (isSystemError(err, 'ENOENT')) return undefined;
      throw err;
    }
    return containerRecordSchema.parse(JSON.parse(text));
  }

  /**
   * `transient`: the record of a running container. After a power loss nothing runs, and the
   * record it replaced (created or exited) is the right one to find, so the rename need not
   * be made durable: one fsync less on every start.
   */
  async save(rec: ContainerRecord, opts: { transient?: boolean } = {}): Promise<void> {
    await writeFileAtomic(this.file(rec.Id, 'config.json'), JSON.stringify(rec, null, 1), 0o600, { syncDir: !opts.transient });
  }

  /** The ids of every container dir, complete or not. */
  private async ids(): Promise<string[]> {
    try {
      return (await readdir(this.paths.containers)).filter((d) => /^[0-9a-f]{64}$/.test(d));
    } catch (err) {
      if (isSystemError(err, 'ENOENT')) return [];
      throw err;
    }
  }

  /** Every container with a complete record; a dir without one is a creation that died half-way. */
  async list(): Promise<ContainerRecord[]> {
    const records = await Promise.all((await this.ids()).map((id) => this.load(id)));
    return records.filter((r): r is ContainerRecord => r !== undefined);
  }

  /**
   * Removes dirs left by a creation that died before its record was written.
   * Called under the lock, with the records just listed, so no creation is in flight.
   */
  async removeOrphans(known: readonly ContainerRecord[]): Promise<void> {
    const ids = new Set(known.map((r) => r.Id));
    for (const id of await this.ids()) {
      if (!ids.has(id)) await this.remove(id);
    }
  }

  /** Finds a container by name, full id or unique id prefix, as docker does. */
  async resolve(ref: string): Promise<ContainerRecord> {
    if (ref === '') throw new InvalidArgumentError('container name or ID cannot be empty');
    // A full id needs no scan of every record.
    if (/^[0-9a-f]{64}$/.test(ref)) {
      const rec = await this.load(ref);
      if (rec) return rec;
    }
    const all = await this.list();
    const name = ref.startsWith('/') ? ref : `/${ref}`;
    const exact = all.find((r) => r.Id === ref) ?? all.find((r) => r.Name === name);
    if (exact) return exact;
    if (/^[0-9a-f]+$/.test(ref)) {
      const matches = all.filter((r) => r.Id.startsWith(ref));
      if (matches.length === 1) return matches[0]!;
      if (matches.length > 1) throw new InvalidArgumentError(`multiple IDs found with provided prefix: ${ref}`);
    }
    throw new NotFoundError(`No such container: ${ref}`);
  }

  /** Removes the container's dir; a stale mount inside it is refused, never deleted through. */
  async remove(id: string): Promise<void> {
    await addon().removeTree(this.dir(id));
  }
}
