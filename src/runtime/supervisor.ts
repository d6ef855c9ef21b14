/**
 * Starting a container's supervisor (berth-shim) and reading its one-line ready report.
 * The shim runs in its own session so it outlives the process that started it.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { nativeExecutable } from '../native/addon.js';
import { encodeShimSpec, type ShimSpec } from './shim-spec.js';
import { BerthError, CommandNotRunnableError, InternalError } from '../errors.js';

export interface ShimStarted {
  shimPid: number;
  containerPid: number;
}

/** Writes the spec next to the container's other files and starts its shim. */
export async function startShim(specFile: string, spec: ShimSpec): Promise<ShimStarted> {
  await writeFile(specFile, encodeShimSpec(spec), { mode: 0o600 });
  const child = spawn(nativeExecutable('berth-shim'), [specFile], {
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
  });
  const ready = child.stdio[3];
  if (!ready) throw new InternalError('berth-shim started without its ready pipe');
  const chunks: Buffer[] = [];
  ready.on('data', (c: Buffer) => chunks.push(c));
  const spawnError = new Promise<never>((_res, rej) => {
    child.once('error', (err) => rej(new InternalError(`cannot start berth-shim: ${err.message}`, { cause: err })));
  });
  const closed = new Promise<void>((res) => ready.once('close', () => res()));
  await Promise.race([closed, spawnError]);
  // The shim lives on in its own session; this process must not wait for it.
  child.unref();
  const line = Buffer.concat(chunks).toString('utf8').trim();
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
