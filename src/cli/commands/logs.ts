/** `berth logs`: a container's stdout to stdout and its stderr to stderr, as docker's CLI prints them. */
import { once } from 'node:events';
import type { CliOutput, CommandContext } from '../context.js';
import type { LogEntry } from '../../container/log-entry.js';
import { isSystemError } from '../../errors.js';
import { parseLogTime } from '../log-time.js';

export interface LogsCommandOptions {
  follow: boolean;
  /** docker's --tail: a number, or anything else (default "all") for all. */
  tail: string;
  since: string;
  until: string;
  timestamps: boolean;
  details: boolean;
}

/** docker's daemon reads tail with strconv.Atoi and takes everything when that fails. */
export function tailCount(tail: string): number {
  return /^[+-]?\d+$/.test(tail) ? Number(tail) : -1;
}

const SPACE = 0x20;

/** docker's attrsByteSlice: the attributes sorted by key as k=v,k=v. */
function attrText(attrs: Record<string, string> | undefined): string {
  if (!attrs) return '';
  return Object.keys(attrs)
    .sort()
    .map((k) => `${k}=${attrs[k]}`)
    .join(',');
}

/** One buffer for entries [from, to) of a batch, with docker's prefixes: time, then details, then the line. */
function render(batch: readonly LogEntry[], from: number, to: number, o: LogsCommandOptions): Buffer {
  let size = 0;
  for (let i = from; i < to; i++) {
    const e = batch[i]!;
    size += e.data.length;
    if (o.timestamps) size += e.time.length + 1;
    if (o.details) size += Buffer.byteLength(attrText(e.attrs)) + 1;
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = from; i < to; i++) {
    const e = batch[i]!;
    if (o.timestamps) {
      at += out.write(e.time, at, 'latin1');
      out[at++] = SPACE;
    }
    if (o.details) {
      at += out.write(attrText(e.attrs), at, 'utf8');
      out[at++] = SPACE;
    }
    at += e.data.copy(out, at);
  }
  return out;
}

/** Writes a chunk, waiting while the stream is full; a stream error aborts the wait (and the follow). */
async function write(stream: CliOutput, chunk: Buffer, abort: AbortController, failed: () => unknown): Promise<void> {
  if (!stream.write(chunk)) await once(stream, 'drain', { signal: abort.signal }).catch(() => undefined);
  const err = failed();
  if (err !== undefined) throw err;
}

export async function logsCommand(ctx: CommandContext, ref: string, o: LogsCommandOptions): Promise<number> {
  const now = new Date();
  const abort = new AbortController();
  const logs = await ctx.engine.logs(ref, {
    follow: o.follow,
    tail: tailCount(o.tail),
    ...(o.since !== '' ? { since: parseLogTime(o.since, now) } : {}),
    ...(o.until !== '' ? { until: parseLogTime(o.until, now) } : {}),
    signal: abort.signal,
  });
  let failed: unknown;
  const onError = (err: unknown): void => {
    failed = err;
    abort.abort();
  };
  const { stdout, stderr } = ctx.io;
  stdout.on('error', onError);
  stderr.on('error', onError);
  try {
    for await (const batch of logs.batches()) {
      // Runs of one stream go out in one write; order between the two is kept as far as two pipes can.
      for (let from = 0; from < batch.length; ) {
        const stream = batch[from]!.stream;
        let to = from + 1;
        while (to < batch.length && batch[to]!.stream === stream) to++;
        await write(stream === 'stdout' ? stdout : stderr, render(batch, from, to, o), abort, () => failed);
        from = to;
      }
    }
    if (failed !== undefined) throw failed;
  } catch (err) {
    // The reader went away (`berth logs c | head`): end quietly with SIGPIPE's status, as docker's CLI dies of it.
    if (isSystemError(err, 'EPIPE')) return 128 + 13;
    throw err;
  } finally {
    stdout.off('error', onError);
    stderr.off('error', onError);
  }
  return 0;
}
