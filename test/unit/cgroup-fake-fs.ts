/**
 * A stand-in for cgroupfs on a temp dir, for the cgroup manager tests: mkdir fills
 * a new cgroup with control files as the kernel would, rmdir refuses a cgroup with
 * children or processes, writes to cgroup.procs move a pid, and any call can be
 * made to fail with a chosen errno.
 */
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CgroupFs } from '../../src/cgroup/fs.js';

type Op = 'mkdir' | 'rmdir' | 'listDirs' | 'readFile' | 'writeFile';

interface Fault {
  op: Op;
  match: (file: string, data?: string) => boolean;
  code: string;
  times: number;
}

function errnoError(code: string, op: string, file: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}: ${op} '${file}'`);
  err.code = code;
  err.syscall = op;
  err.path = file;
  return err;
}

export class FakeCgroupFs implements CgroupFs {
  /** Every successful write, in order: devices.allow and cgroup.procs keep no history in files. */
  readonly writes: { file: string; data: string }[] = [];
  private readonly faults: Fault[] = [];
  /** The tops of the fake hierarchies, registered by the tests that make them. */
  readonly mountPoints = new Set<string>();

  /** controlFiles(dir) names the files (with initial contents) the kernel would put in a new cgroup dir. */
  constructor(private readonly controlFiles: (dir: string) => Record<string, string>) {}

  /** Makes the next `times` calls of `op` on a matching path fail with `code`. */
  fail(op: Op, match: RegExp | ((file: string, data?: string) => boolean), code: string, times = Infinity): void {
    const fn = match instanceof RegExp ? (f: string) => match.test(f) : match;
    this.faults.push({ op, match: fn, code, times });
  }

  private check(op: Op, file: string, data?: string): void {
    const fault = this.faults.find((f) => f.op === op && f.times > 0 && f.match(file, data));
    if (!fault) return;
    fault.times--;
    throw errnoError(fault.code, op, file);
  }

  async mkdir(dir: string): Promise<void> {
    this.check('mkdir', dir);
    await mkdir(dir);
    for (const [name, content] of Object.entries(this.controlFiles(dir))) {
      await writeFile(path.join(dir, name), content);
    }
  }

  async rmdir(dir: string): Promise<void> {
    this.check('rmdir', dir);
    const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
      throw errnoError(err.code ?? 'EIO', 'rmdir', dir);
    });
    const procs = await readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
    if (entries.some((e) => e.isDirectory()) || procs.trim() !== '') throw errnoError('EBUSY', 'rmdir', dir);
    await rm(dir, { recursive: true });
  }

  async listDirs(dir: string): Promise<string[]> {
    this.check('listDirs', dir);
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => e.name);
  }

  async readFile(file: string): Promise<string> {
    this.check('readFile', file);
    return readFile(file, 'utf8');
  }

  async writeFile(file: string, data: string): Promise<void> {
    this.check('writeFile', file, data);
    if (!(await this.exists(file))) throw errnoError('ENOENT', 'open', file);
    if (path.basename(file) === 'cgroup.procs') await this.movePid(file, data.trim());
    else await writeFile(file, data);
    this.writes.push({ file, data });
  }

  async exists(file: string): Promise<boolean> {
    return stat(file).then(
      () => true,
      () => false,
    );
  }

  /** A pid is in one cgroup per hierarchy: joining one leaves the others below the same mount. */
  private async movePid(target: string, pid: string): Promise<void> {
    const root = this.hierarchyRoot(target);
    for (const entry of await readdir(root, { recursive: true })) {
      if (path.basename(entry) !== 'cgroup.procs') continue;
      const file = path.join(root, entry);
      const pids = (await readFile(file, 'utf8')).split('\n').filter((p) => p !== '' && p !== pid);
      if (file === target) pids.push(pid);
      await writeFile(file, pids.map((p) => `${p}\n`).join(''));
    }
  }

  /** The mount point above a file: where a pid's single membership in the hierarchy is kept. */
  private hierarchyRoot(file: string): string {
    let dir = path.dirname(file);
    while (dir !== path.dirname(dir)) {
      if (this.mountPoints.has(dir)) return dir;
      dir = path.dirname(dir);
    }
    return path.dirname(file);
  }
}

export async function readText(file: string): Promise<string> {
  return readFile(file, 'utf8');
}

export async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
