/**
 * Named and anonymous volumes on disk: `<root>/volumes/<name>/_data` holds the data and
 * `<root>/volumes/<name>/volume.json` the record (written atomically), as docker's local driver.
 */
import { mkdirSync, readFileSync, readdirSync, renameSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { addon } from '../native/addon.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { withLock } from '../util/lock.js';
import { ownerTag } from '../util/owner-tag.js';
import { InternalError, InvalidArgumentError, NotFoundError, errorMessage, isSystemError } from '../errors.js';
import { VOLUME_NAME, volumeRecordSchema, type VolumeInspect, type VolumeRecord } from './record.js';

const RECORD = 'volume.json';

export class VolumeStore {
  readonly dir: string;
  private readonly lockFile: string;
  private readonly trash: string;

  constructor(root: string) {
    this.dir = path.join(root, 'volumes');
    this.lockFile = path.join(root, 'volumes.lock');
    this.trash = path.join(root, 'trash');
  }

  /** Runs fn while holding the lock every process takes to create or remove volumes. */
  locked<T>(fn: () => Promise<T>): Promise<T> {
    return withLock(this.lockFile, fn);
  }

  mountpoint(name: string): string {
    return path.join(this.dir, name, '_data');
  }

  load(name: string): VolumeRecord | undefined {
    if (!VOLUME_NAME.test(name)) return undefined;
    let text: string;
    try {
      text = readFileSync(path.join(this.dir, name, RECORD), 'utf8');
    } catch (err) {
      if (isSystemError(err, 'ENOENT')) return undefined;
      throw err;
    }
    try {
      return volumeRecordSchema.parse(JSON.parse(text));
    } catch (err) {
      throw new InternalError(`corrupt volume record ${path.join(this.dir, name, RECORD)}: ${errorMessage(err)}`, { cause: err });
    }
  }

  get(name: string): VolumeRecord {
    const rec = this.load(name);
    if (!rec) throw new NotFoundError(`get ${name}: no such volume`);
    return rec;
  }

  /** Every volume with a record; a dir without one is a creation that died half-way. */
  list(): VolumeRecord[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (err) {
      if (isSystemError(err, 'ENOENT')) return [];
      throw err;
    }
    return names.map((n) => this.load(n)).filter((r): r is VolumeRecord => r !== undefined);
  }

  /** Creates a volume, or returns the one of that name (docker's create is idempotent). */
  async create(name: string, labels: Record<string, string> = {}): Promise<VolumeRecord> {
    if (!VOLUME_NAME.test(name)) {
      throw new InvalidArgumentError(
        `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
      );
    }
    return this.locked(async () => {
      const existing = this.load(name);
      if (existing) return existing;
      // The volume dir is private to root, as docker's; _data is what containers see. Both may
      // be left by a creation that died before its record was written: that one is taken over.
      mkdirSync(path.join(this.dir, name), { recursive: true, mode: 0o700 });
      mkdirSync(this.mountpoint(name), { recursive: true, mode: 0o755 });
      const rec: VolumeRecord = { Name: name, CreatedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), Labels: labels };
      await writeFileAtomic(path.join(this.dir, name, RECORD), JSON.stringify(rec), 0o600);
      return rec;
    });
  }

  /** Removes a volume and its data. The caller has checked that no container uses it. */
  async remove(name: string): Promise<void> {
    await this.locked(async () => {
      const from = path.join(this.dir, name);
      const to = path.join(this.trash, `${ownerTag()}-vol-${randomBytes(4).toString('hex')}`);
      try {
        mkdirSync(this.trash, { recursive: true, mode: 0o700 });
        // Gone for every reader at once; the data is deleted after.
        renameSync(from, to);
      } catch (err) {
        if (isSystemError(err, 'ENOENT')) return;
        throw err;
      }
      await addon().removeTree(to);
    });
  }

  inspect(rec: VolumeRecord): VolumeInspect {
    return {
      CreatedAt: rec.CreatedAt,
      Driver: 'local',
      Labels: rec.Labels,
      Mountpoint: this.mountpoint(rec.Name),
      Name: rec.Name,
      Options: null,
      Scope: 'local',
    };
  }
}
