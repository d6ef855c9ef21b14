/** `berth save` and `berth load`: images to and from docker-archive tars. */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import type { CommandContext } from '../context.js';
import { InvalidArgumentError, NotFoundError, isSystemError } from '../../errors.js';

/**
 * Writes to a temp file beside the target and renames it at the end (docker's CLI does
 * the same): a failed or interrupted save leaves no half archive under the name asked for.
 */
export async function writeFileAtomically(file: string, source: AsyncIterable<Buffer>, failure = 'failed to save image'): Promise<void> {
  const dir = path.dirname(file);
  const dirStat = await stat(dir).catch(() => undefined);
  if (!dirStat?.isDirectory()) throw new NotFoundError(`${failure}: invalid output path: directory ${JSON.stringify(dir)} does not exist`);
  if ((await stat(file).catch(() => undefined))?.isDirectory()) throw new InvalidArgumentError(`${failure}: cannot write to a directory`);
  const tmp = path.join(dir, `.berth_temp_${randomBytes(6).toString('hex')}`);
  const fh = await open(tmp, 'wx', 0o666);
  try {
    try {
      for await (const chunk of source) {
        let done = 0;
        while (done < chunk.length) done += (await fh.write(chunk, done, chunk.length - done)).bytesWritten;
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** Writes source to a stream that is never ended (stdout), waiting whenever it is full. */
export async function writeToStream(out: NodeJS.WritableStream, source: AsyncIterable<Buffer>): Promise<void> {
  let failed: unknown;
  const onError = (err: unknown): void => {
    failed = err;
  };
  // A closed pipe (`berth save x | head -c1`) is an error of this save, not an uncaught one of the process.
  out.on('error', onError);
  try {
    for await (const chunk of source) {
      if (failed !== undefined) throw failed;
      if (!out.write(chunk)) await once(out, 'drain');
    }
    if (failed !== undefined) throw failed;
  } finally {
    out.off('error', onError);
  }
}

export async function saveCommand(ctx: CommandContext, opts: { output?: string; refs: string[] }): Promise<number> {
  if (opts.output === undefined || opts.output === '') {
    if (ctx.io.stdout.isTTY) throw new InvalidArgumentError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
    try {
      await writeToStream(ctx.io.stdout, ctx.engine.saveImages(opts.refs));
    } catch (err) {
      // The reader went away (`berth save x | head -c 512`): end quietly with SIGPIPE's status, as docker's CLI dies of it.
      if (isSystemError(err, 'EPIPE')) return 128 + 13;
      throw err;
    }
    return 0;
  }
  await writeFileAtomically(opts.output, ctx.engine.saveImages(opts.refs));
  return 0;
}

/**
 * -q is accepted and changes nothing: in docker it silences only the progress bars (which
 * berth does not draw), while the `Loaded image:` lines stay, as scripts read them.
 */
export async function loadCommand(ctx: CommandContext, opts: { input?: string; quiet: boolean }): Promise<number> {
  let source: AsyncIterable<Uint8Array>;
  let label: string;
  if (opts.input !== undefined && opts.input !== '') {
    const st = await stat(opts.input).catch(() => undefined);
    if (!st) throw new NotFoundError(`open ${opts.input}: no such file or directory`);
    if (st.isDirectory()) throw new InvalidArgumentError(`${opts.input} is a directory`);
    source = createReadStream(opts.input);
    label = opts.input;
  } else {
    if (ctx.io.stdin.isTTY) throw new InvalidArgumentError('requested load from stdin, but stdin is empty');
    source = ctx.io.stdin;
    label = 'the standard input';
  }
  await ctx.engine.loadImages(source, { label, onLoaded: (line) => ctx.out(`${line}\n`) });
  return 0;
}
