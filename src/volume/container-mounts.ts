/**
 * The mounts a new container gets, resolved at create as docker's daemon does: `--volumes-from`
 * first, then `-v` and `--mount` (one mount per destination), then the image's VOLUMEs where
 * nothing else is mounted. Named volumes are created when missing, anonymous ones made, bind
 * sources from `-v` created, and a new, empty volume filled from the image (copy-up).
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { InvalidArgumentError, isSystemError } from '../errors.js';
import { MS } from '../native/addon.js';
import type { ContainerRecord } from '../container/record.js';
import { parseBindArg } from './mount-args.js';
import { copyImageContent } from './copy-up.js';
import { tmpfsMount, tmpfsOptionsOf } from './tmpfs-options.js';
import { ANONYMOUS_LABEL } from './record.js';
import type { MountOption, MountPoint } from './mount-types.js';
import type { VolumeStore } from './store.js';

export interface MountRequest {
  binds: readonly string[];
  mounts: readonly MountOption[];
  tmpfs: Readonly<Record<string, string>>;
  /** Containers named by --volumes-from, each with the mode asked for ('' keeps theirs). */
  volumesFrom: ReadonlyArray<{ rec: ContainerRecord; mode: '' | 'ro' | 'rw' }>;
  /** The image config's Volumes keys. */
  imageVolumes: readonly string[];
}

/** `C[:ro|rw]` of --volumes-from. */
export function parseVolumesFrom(spec: string): { ref: string; mode: '' | 'ro' | 'rw' } {
  const [ref, mode, ...rest] = spec.split(':');
  if (!ref || rest.length > 0 || (mode !== undefined && mode !== 'ro' && mode !== 'rw')) {
    throw new InvalidArgumentError(`invalid volumes-from spec: ${spec}`);
  }
  return { ref, mode: mode ?? '' };
}

function cleanTarget(target: string): string {
  return path.posix.normalize(target).replace(/(.)\/+$/, '$1');
}

export class MountResolver {
  /** Anonymous volumes made so far, removed again when create fails after making them. */
  readonly madeAnonymous: string[] = [];

  constructor(
    private readonly volumes: VolumeStore,
    private readonly lowerDirs: readonly string[],
  ) {}

  async resolve(req: MountRequest): Promise<MountPoint[]> {
    const byTarget = new Map<string, MountPoint>();
    for (const { rec, mode } of req.volumesFrom) {
      for (const m of rec.Mounts) {
        if (m.Type === 'tmpfs') continue;
        const rw = mode === '' ? m.RW : mode === 'rw';
        byTarget.set(m.Destination, { ...m, RW: rw, Mode: mode === '' ? m.Mode : mode });
      }
    }
    const asked = new Set<string>();
    const claim = (target: string): string => {
      const t = cleanTarget(target);
      if (t === '/') throw new InvalidArgumentError('invalid specification: destination can\'t be \'/\'');
      if (asked.has(t)) throw new InvalidArgumentError(`Duplicate mount point: ${t}`);
      asked.add(t);
      return t;
    };
    for (const spec of req.binds) {
      const b = parseBindArg(spec);
      const target = claim(b.target);
      if (b.kind === 'bind') {
        ensureBindSource(b.source);
        byTarget.set(target, this.bind(b.source, target, !b.readonly, b.mode));
      } else {
        byTarget.set(target, await this.volume(b.name, target, !b.readonly, b.mode, b.noCopy));
      }
    }
    for (const m of req.mounts) {
      const target = claim(m.Target);
      if (m.Type === 'bind') {
        if (!m.Source.startsWith('/')) throw new InvalidArgumentError(`invalid mount config for type "bind": invalid mount path: '${m.Source}' mount path must be absolute`);
        try {
          statSync(m.Source);
        } catch (err) {
          if (isSystemError(err, 'ENOENT')) throw new InvalidArgumentError(`invalid mount config for type "bind": bind source path does not exist: ${m.Source}`);
          throw err;
        }
        byTarget.set(target, this.bind(m.Source, target, !m.ReadOnly, ''));
      } else if (m.Type === 'volume') {
        byTarget.set(target, await this.volume(m.Source, target, !m.ReadOnly, '', m.NoCopy));
      } else {
        if (m.Source !== '') throw new InvalidArgumentError('invalid mount config for type "tmpfs": source must not be given');
        const options = tmpfsOptionsOf(m.TmpfsOptions);
        tmpfsMount(options);
        byTarget.set(target, { Type: 'tmpfs', Source: '', Destination: target, Mode: '', RW: !m.ReadOnly, Propagation: '', Options: options });
      }
    }
    for (const [target, options] of Object.entries(req.tmpfs)) {
      // Checked here so a bad option fails the create, not the start.
      tmpfsMount(options);
      if (asked.has(cleanTarget(target))) throw new InvalidArgumentError(`Duplicate mount point: ${cleanTarget(target)}`);
      byTarget.delete(cleanTarget(target));
    }
    const tmpfsTargets = new Set(Object.keys(req.tmpfs).map(cleanTarget));
    for (const v of req.imageVolumes) {
      const target = cleanTarget(v);
      if (byTarget.has(target) || tmpfsTargets.has(target)) continue;
      byTarget.set(target, await this.volume('', target, true, '', false));
    }
    return [...byTarget.values()];
  }

  private bind(source: string, target: string, rw: boolean, mode: string): MountPoint {
    return { Type: 'bind', Source: source, Destination: target, Mode: mode, RW: rw, Propagation: 'rprivate' };
  }

  private async volume(name: string, target: string, rw: boolean, mode: string, noCopy: boolean): Promise<MountPoint> {
    const anonymous = name === '';
    const volumeName = anonymous ? randomBytes(32).toString('hex') : name;
    const rec = await this.volumes.create(volumeName, anonymous ? { [ANONYMOUS_LABEL]: '' } : {});
    if (anonymous) this.madeAnonymous.push(rec.Name);
    const source = this.volumes.mountpoint(rec.Name);
    if (!noCopy) await copyImageContent(this.lowerDirs, target, source);
    return { Type: 'volume', Name: rec.Name, Source: source, Destination: target, Driver: 'local', Mode: mode, RW: rw, Propagation: '' };
  }
}

/** docker's -v makes a missing host directory at every start, not only at create (a --mount bind does not). */
export function recreateBindSources(rec: ContainerRecord): void {
  for (const spec of rec.HostConfig.Binds ?? []) {
    const b = parseBindArg(spec);
    if (b.kind === 'bind') ensureBindSource(b.source);
  }
}

/** docker's -v makes a missing host directory (a --mount bind refuses instead); an existing file or dir is used as it is. */
function ensureBindSource(source: string): void {
  if (!existsSync(source)) mkdirSync(source, { recursive: true, mode: 0o755 });
}

/** The tmpfs mounts of a container for its supervisor: `--mount type=tmpfs` and `--tmpfs`. */
export function containerTmpfs(rec: ContainerRecord): Array<{ destination: string; flags: number; data: string }> {
  const out = rec.Mounts.filter((m) => m.Type === 'tmpfs').map((m) => {
    const t = tmpfsMount(m.Options ?? '');
    return { destination: m.Destination, flags: m.RW ? t.flags : t.flags | MS.RDONLY, data: t.data };
  });
  for (const [destination, options] of Object.entries(rec.HostConfig.Tmpfs)) out.push({ destination, ...tmpfsMount(options) });
  return out;
}

/** The volume and bind mounts of a container for its supervisor. */
export function containerBinds(rec: ContainerRecord): Array<{ source: string; destination: string; readonly: boolean }> {
  // Parents first, so a mount inside another volume lands on top of it.
  const depth = (p: string): number => p.split('/').length;
  return rec.Mounts.filter((m) => m.Type !== 'tmpfs')
    .sort((a, b) => depth(a.Destination) - depth(b.Destination))
    .map((m) => ({ source: m.Source, destination: m.Destination, readonly: !m.RW }));
}

/** docker's Config.Volumes: the image's VOLUMEs and every `-v /path`; null when there are none. */
export function configVolumes(image: Readonly<Record<string, unknown>> | null | undefined, binds: readonly string[]): Record<string, Record<string, never>> | null {
  const targets = [...Object.keys(image ?? {}), ...binds.filter((b) => !b.includes(':')).map(cleanTarget)];
  return targets.length > 0 ? Object.fromEntries(targets.map((t) => [t, {}])) : null;
}
