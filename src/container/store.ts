/**
 * Container records on disk: one dir per container holding its record
 * (config.json, written atomically) and everything else it owns.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { addon } from '../native/addon.js';
import { readdir } from 'node:fs/promises';
import { isOwnerTagAlive, ownerTag } from '../util/owner-tag.js';
import path from 'node:path';
import { containerRecordSchema, type ContainerRecord } from './record.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { exactCheck } from '../util/exact-check.js';
import { withLock } from '../util/lock.js';
import type { StatePaths } from '../paths.js';
import { InternalError, InvalidArgumentError, NotFoundError, errorMessage, isSystemError } from '../errors.js';

/** A record that cannot be read back (torn by a power loss, or edited by hand). */
export class CorruptRecordError extends InternalError {
  constructor(
    readonly id: string,
    file: string,
    cause: unknown,
  ) {
    super(`corrupt container record ${file}: ${errorMessage(cause)}; 'berth rm -f ${id}' removes the container`, { cause });
  }
}

const isExactRecord = exactCheck(containerRecordSchema);

export class ContainerStore {
  /** Deletions of removed containers' dirs still running in the background. */
  private readonly deleting = new Set<Promise<void>>();

  private readonly containersDir: string;

  constructor(private readonly paths: StatePaths) {
    this.containersDir = paths.containers;
  }

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
      // Joined by hand: path.join per record shows in a listing of hundreds (ids are plain hex).
      text = readFileSync(`${this.containersDir}/${id}/config.json`, 'utf8');
    } catch (err) {
      if (isSystemError(err, 'ENOENT')) return undefined;
      throw err;
    }
    try {
      const value: unknown = JSON.parse(text);
      // A record berth wrote is already exactly the schema's output: the full parse is for the rest.
      return isExactRecord(value) ? (value as ContainerRecord) : containerRecordSchema.parse(value);
    } catch (err) {
      throw new CorruptRecordError(id, this.file(id, 'config.json'), err);
    }
  }

  /**
   * How durable a record is follows what it is worth after a power loss:
   * - an --rm container's: nothing (docker removes those when it comes back up), so no fsync;
   *   a record a power loss left torn is skipped by list() and removed by `rm -f`;
   * - a running container's (`transient`): nothing runs after a reboot, and the record it
   *   replaced (created or exited) is the right one to find, so only the content is synced;
   * - any other: fully durable.
   */
  async save(rec: ContainerRecord, opts: { transient?: boolean } = {}): Promise<void> {
    const durability = rec.HostConfig.AutoRemove ? 'none' : opts.transient ? 'content' : 'full';
    await writeFileAtomic(this.file(rec.Id, 'config.json'), JSON.stringify(rec), 0o600, { durability });
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
    const records = await Promise.all(
      (await this.ids()).map((id) =>
        this.load(id).catch((err: unknown) => {
          // One torn record (a power loss) must not break every listing; `rm -f ID` removes it.
          if (err instanceof CorruptRecordError) return undefined;
          throw err;
        }),
      ),
    );
    return records.filter((r): r is ContainerRecord => r !== undefined);
  }

  /**
   * Removes dirs left by a creation that died before its record was written.
   * Called under the lock, with the records just listed, so no creation is in flight.
   */
  async removeOrphans(known: readonly ContainerRecord[]): Promise<void> {
    const ids = new Set(known.map((r) => r.Id));
    for (const id of await this.ids()) {
      // A dir with a record list() could not read is a torn record, not an orphan: it stays for `rm -f`.
      if (!ids.has(id) && !existsSync(this.file(id, 'config.json'))) await this.remove(id);
    }
    await this.sweepTrash();
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

  /**
   * Removes a container: its dir is renamed into the trash at once (the container is gone
   * for every reader), and deleted in the background. Deleting a dir tree costs a few
   * milliseconds of filesystem journal work that no caller needs to wait for; `settle()`
   * waits for it, and a dead process's leftovers are swept by the next `removeOrphans`.
   */
  async remove(id: string): Promise<void> {
    const trashed = path.join(this.paths.trash, `${ownerTag()}-${id.slice(0, 12)}-${randomBytes(4).toString('hex')}`);
    try {
      mkdirSync(this.paths.trash, { recursive: true, mode: 0o700 });
      renameSync(this.dir(id), trashed);
    } catch (err) {
      if (isSystemError(err, 'ENOENT')) return;
      // No trash to move it to: delete it in place, and wait for that.
      await addon().removeTree(this.dir(id));
      return;
    }
    this.deleteInBackground(trashed);
  }

  private deleteInBackground(dir: string): void {
    // A stale mount inside is refused (EXDEV), never deleted through; the dir then stays for a later sweep.
    const done: Promise<void> = addon()
      .removeTree(dir)
      .catch(() => undefined)
      .finally(() => this.deleting.delete(done));
    this.deleting.add(done);
  }

  /** Waits until the dirs of containers this process removed are deleted. */
  async settle(): Promise<void> {
    while (this.deleting.size > 0) await Promise.all([...this.deleting]);
  }

  /** Deletes trashed dirs whose deleting process died before it finished. */
  private async sweepTrash(): Promise<void> {
    let names: string[];
    try {
      names = readdirSync(this.paths.trash);
    } catch (err) {
      if (isSystemError(err, 'ENOENT')) return;
      throw err;
    }
    for (const name of names) {
      const tag = /^(\d+\.\d+)-/.exec(name)?.[1];
      if (tag === undefined || !isOwnerTagAlive(tag)) this.deleteInBackground(path.join(this.paths.trash, name));
    }
  }
}
