/**
 * The json-file driver's options (docker's `--log-opt`): checked when a container is created,
 * so a bad option fails `create`, not a later start; and turned into the rotation the shim does.
 */
import { InvalidArgumentError } from '../errors.js';
import { parseBytes } from '../util/size.js';
import type { LogConfig } from './record.js';

/** Rotation when no option says otherwise, as docker's `local` driver: 5 files of 20 MiB. */
export const DEFAULT_LOG_MAX_SIZE = 20 * 1024 * 1024;
export const DEFAULT_LOG_MAX_FILES = 5;

const JSON_FILE_OPTS = new Set(['max-size', 'max-file']);

export interface LogRotation {
  /** Bytes a file may reach before the shim moves it aside. */
  maxSize: number;
  /** Files kept, the current one included. */
  maxFiles: number;
}

function maxSizeOf(value: string): number {
  const bytes = parseBytes(value);
  if (bytes <= 0) throw new InvalidArgumentError('max-size must be a positive number');
  return bytes;
}

function maxFilesOf(value: string): number {
  if (!/^[+-]?\d+$/.test(value)) throw new InvalidArgumentError(`strconv.Atoi: parsing "${value}": invalid syntax`);
  const n = Number(value);
  if (n < 1) throw new InvalidArgumentError('max-file cannot be less than 1');
  return n;
}

/**
 * The rotation a log config asks for: undefined for the `none` driver. Throws docker's
 * messages for what json-file refuses.
 */
export function logRotation(config: LogConfig): LogRotation | undefined {
  // docker does not check the none driver's options: it has nothing to apply them to.
  if (config.Type === 'none') return undefined;
  for (const opt of Object.keys(config.Config)) {
    if (!JSON_FILE_OPTS.has(opt)) throw new InvalidArgumentError(`unknown log opt '${opt}' for json-file log driver`);
  }
  const size = config.Config['max-size'];
  const files = config.Config['max-file'];
  const maxSize = size === undefined ? DEFAULT_LOG_MAX_SIZE : maxSizeOf(size);
  const maxFiles = files === undefined ? DEFAULT_LOG_MAX_FILES : maxFilesOf(files);
  // Without a size nothing would ever rotate into the extra files the user asked for.
  if (files !== undefined && maxFiles > 1 && size === undefined) {
    throw new InvalidArgumentError('max-file cannot be greater than 1 without max-size');
  }
  return { maxSize, maxFiles };
}
