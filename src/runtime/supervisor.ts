/**
 * Starting a container's supervisor (berth-shim) and reading its one-line ready report.
 * The shim detaches (forks, in its own session) so it outlives the process that started it.
 * It is started through the addon's posix_spawn: child_process.spawn forks Node, which costs
 * milliseconds with a large heap.
 */
import { readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { addon, nativeExecutable } from '../native/addon.js';
import { encodeShimSpec, type ShimSpec } from './shim-spec.js';
import { BerthError, CommandNotRunnableError, InternalError, errorMessage } from '../errors.js';

export interface ShimStarted {
  shimPid: number;
  containerPid: number;
}

/** Writes the spec next to the container's other files and starts its shim. */
export async function startShim(specFile: string, spec: ShimSpec): Promise<ShimStarted> {
  return startShimWith(specFile, encodeShimSpec(spec));
}

/** Starts a shim on an already encoded spec (a container's, or an exec's). */
export async function startShimWith(specFile: string, encoded: Buffer): Promise<ShimStarted> {
  writeFileSync(specFile, encoded, { mode: 0o600 });
  let report: string;
  try {
    report = await addon().spawnDetached([nativeExecutable('berth-shim'), specFile]);
  } catch (err) {
    throw new InternalError(`cannot start berth-shim: ${errorMessage(err)}`, { cause: err });
  }
  const line = report.trim();
  const ok = /^ok (\d+) (\d+)$/.exec(line);
  if (ok) return { shimPid: Number(ok[1]), containerPid: Number(ok[2]) };
  const err = /^err (\d+) (.*)$/.exec(line);
  if (err) {
    const code = Number(err[1]);
    const message = err[2] ?? 'unknown error';
    if (code === 126 || code === 127) throw new CommandNotRunnableError(message, code);
    throw new BerthError('Internal', message, { exitCode: 125 });
  }
  throw new InternalError(`berth-shim failed to start the container${line ? `: ${line}` : ''}`);
}

/**
 * The pids of shims still running a spec file: a start killed after its shim came up but
 * before the record learnt the shim's pid leaves one waiting for a client that never comes.
 */
export function shimsOf(specFile: string): number[] {
  const shim = nativeExecutable('berth-shim');
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readlinkSync(`/proc/${d}/exe`) !== shim) continue;
      const args = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (args[1] === specFile) pids.push(Number(d));
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return pids;
}
