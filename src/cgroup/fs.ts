/**
 * The few filesystem operations the cgroup managers need, behind an interface so unit
 * tests can run them on plain directories. cgroupfs differs from a plain directory in
 * two ways that matter: its files cannot be created (a write to a missing file must
 * fail, not create it), and rmdir removes a cgroup together with its interface files.
 */
import { closeSync, mkdirSync, openSync, constants, readFileSync, readdirSync, rmdirSync, writeSync } from 'node:fs';
import {
  BerthError,
  ConflictError,
  InternalError,
  InvalidArgumentError,
  PermissionDeniedError,
  UnavailableError,
  isSystemError,
  errorMessage,
} from '../errors.js';

export interface CgroupFs {
  /** mkdir(2) of one directory; EEXIST is reported, not ignored. */
  mkdir(dir: string): Promise<void>;
  /** rmdir(2) of one cgroup directory. */
  rmdir(dir: string): Promise<void>;
  /** Names of the subdirectories (child cgroups) of a directory. */
  listDirs(dir: string): Promise<string[]>;
  readFile(file: string): Promise<string>;
  /** Writes an existing interface file; never creates one. */
  writeFile(file: string, value: string): Promise<void>;
}

/**
 * cgroupfs calls are in-memory kernel work of a few microseconds each, while a trip through
 * libuv's thread pool costs far more, and a container start makes dozens of them. So the host's
 * operations run synchronously behind the async interface (which fakes in tests keep).
 */
export const hostCgroupFs: CgroupFs = {
  async mkdir(dir) {
    mkdirSync(dir);
  },
  async rmdir(dir) {
    rmdirSync(dir);
  },
  async listDirs(dir) {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  },
  async readFile(file) {
    return readFileSync(file, 'utf8');
  },
  async writeFile(file, value) {
    // One write(2) per value: cgroupfs parses each write as a whole.
    const fd = openSync(file, constants.O_WRONLY | constants.O_TRUNC);
    try {
      writeSync(fd, value);
    } finally {
      closeSync(fd);
    }
  },
};

/** Turns a failed cgroup filesystem operation into the engine's error kind, saying what was attempted. */
export function cgroupError(what: string, err: unknown): BerthError {
  if (err instanceof BerthError) return err;
  const message = `cgroup: ${what}: ${errorMessage(err)}`;
  if (isSystemError(err)) {
    switch (err.code) {
      case 'EACCES':
      case 'EPERM':
      case 'EROFS':
        return new PermissionDeniedError(message, { cause: err });
      case 'EINVAL':
      case 'ERANGE':
        return new InvalidArgumentError(message, { cause: err });
      case 'ENOENT':
        return new UnavailableError(message, { cause: err });
      case 'EBUSY':
        return new ConflictError(message, { cause: err });
    }
  }
  return new InternalError(message, { cause: err });
}

export async function writeCgroupFile(fs: CgroupFs, dir: string, name: string, value: string): Promise<void> {
  try {
    await fs.writeFile(`${dir}/${name}`, value);
  } catch (err) {
    throw cgroupError(`cannot write ${JSON.stringify(value)} to ${dir}/${name}`, err);
  }
}

export async function readCgroupFile(fs: CgroupFs, dir: string, name: string): Promise<string> {
  try {
    return await fs.readFile(`${dir}/${name}`);
  } catch (err) {
    throw cgroupError(`cannot read ${dir}/${name}`, err);
  }
}

/** Whether an interface file exists, for optional features such as swap accounting. */
export async function hasCgroupFile(fs: CgroupFs, dir: string, name: string): Promise<boolean> {
  try {
    await fs.readFile(`${dir}/${name}`);
    return true;
  } catch (err) {
    if (isSystemError(err, 'ENOENT')) return false;
    throw cgroupError(`cannot read ${dir}/${name}`, err);
  }
}
