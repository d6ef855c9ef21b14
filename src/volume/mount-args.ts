/**
 * docker's mount arguments in their string forms: `-v` (HostConfig.Binds), `--mount`'s
 * key=value list and `--tmpfs DST[:OPTIONS]`.
 */
import { InvalidArgumentError } from '../errors.js';
import { parseBytes } from '../util/size.js';
import type { MountOptionInput } from './mount-types.js';

/** One `-v` entry: a named or anonymous volume (name '' for anonymous) or a bind of a host path. */
export type BindArg =
  | { kind: 'volume'; name: string; target: string; readonly: boolean; mode: string; noCopy: boolean }
  | { kind: 'bind'; source: string; target: string; readonly: boolean; mode: string };

const MODES = new Set(['ro', 'rw', 'z', 'Z', 'nocopy', 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave']);

export function parseBindArg(spec: string): BindArg {
  const bad = (why: string): InvalidArgumentError => new InvalidArgumentError(`invalid volume specification: '${spec}': ${why}`);
  const parts = spec.split(':');
  if (parts.length > 3 || parts.some((p) => p === '')) throw bad('invalid format');
  const [first, second, third] = parts as [string, string | undefined, string | undefined];
  if (second === undefined) {
    if (!first.startsWith('/')) throw bad(`invalid mount path: '${first}' mount path must be absolute`);
    return { kind: 'volume', name: '', target: first, readonly: false, mode: '', noCopy: false };
  }
  if (!second.startsWith('/')) throw bad(`invalid mount path: '${second}' mount path must be absolute`);
  const mode = third ?? '';
  const words = mode === '' ? [] : mode.split(',');
  for (const w of words) if (!MODES.has(w)) throw bad(`invalid mode: ${w}`);
  if (words.includes('ro') && words.includes('rw')) throw bad(`invalid mode: ${mode}`);
  const readonly = words.includes('ro');
  if (first.startsWith('/')) return { kind: 'bind', source: first, target: second, readonly, mode };
  return { kind: 'volume', name: first, target: second, readonly, mode, noCopy: words.includes('nocopy') };
}

function boolValue(key: string, value: string | undefined, spec: string): boolean {
  if (value === undefined || value === '1' || value.toLowerCase() === 'true') return true;
  if (value === '0' || value.toLowerCase() === 'false') return false;
  throw new InvalidArgumentError(`invalid value for ${key}: ${value} in '${spec}'`);
}

/** A `--mount` value, as docker's CLI reads it. */
export function parseMountArg(spec: string): MountOptionInput {
  let type: string | undefined;
  let source = '';
  let target: string | undefined;
  let readOnly = false;
  let noCopy = false;
  const tmpfs: { SizeBytes?: number; Mode?: number } = {};
  for (const field of spec.split(',')) {
    if (field === '') continue;
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? undefined : field.slice(eq + 1);
    const need = (): string => {
      if (value === undefined) throw new InvalidArgumentError(`invalid field '${field}' must be a key=value pair`);
      return value;
    };
    switch (key) {
      case 'type':
        type = need();
        break;
      case 'source':
      case 'src':
        source = need();
        break;
      case 'target':
      case 'dst':
      case 'destination':
        target = need();
        break;
      case 'readonly':
      case 'ro':
        readOnly = boolValue(key, value, spec);
        break;
      case 'volume-nocopy':
        noCopy = boolValue(key, value, spec);
        break;
      case 'tmpfs-size':
        tmpfs.SizeBytes = parseBytes(need());
        break;
      case 'tmpfs-mode': {
        const mode = Number.parseInt(need(), 8);
        if (!Number.isInteger(mode) || !/^[0-7]+$/.test(need())) throw new InvalidArgumentError(`invalid value for ${key}: ${need()}`);
        tmpfs.Mode = mode;
        break;
      }
      default:
        throw new InvalidArgumentError(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (type === undefined) throw new InvalidArgumentError('type is required');
  if (type !== 'volume' && type !== 'bind' && type !== 'tmpfs') throw new InvalidArgumentError(`invalid mount type: ${type}`);
  if (target === undefined) throw new InvalidArgumentError('target is required');
  if (type !== 'tmpfs' && Object.keys(tmpfs).length > 0) throw new InvalidArgumentError(`cannot mix 'tmpfs-*' options with mount type '${type}'`);
  return {
    Type: type,
    Source: source,
    Target: target,
    ReadOnly: readOnly,
    NoCopy: noCopy,
    ...(type === 'tmpfs' && Object.keys(tmpfs).length > 0 ? { TmpfsOptions: tmpfs } : {}),
  };
}

/** A `--tmpfs DST[:OPTIONS]` value: the target and its options. */
export function parseTmpfsArg(spec: string): [string, string] {
  const colon = spec.indexOf(':');
  const target = colon < 0 ? spec : spec.slice(0, colon);
  if (!target.startsWith('/')) throw new InvalidArgumentError(`invalid mount path: '${target}' mount path must be absolute`);
  return [target, colon < 0 ? '' : spec.slice(colon + 1)];
}
