/**
 * Starting a container's supervisor (berth-shim) and reading its one-line ready report.
 * The shim detaches (forks, in its own session) so it outlives the process that started it.
 * It is started through the addon's posix_spawn: child_process.spawn forks Node, which costs
 * milliseconds with a large heap.
 */
import { writeFileSync } from 'node:fs';
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
