/**
 * A container's log for `docker logs` and the Engine API's /containers/{id}/logs: options
 * checked at the edge, times turned into the form entries carry, and the reader started.
 */
import path from 'node:path';
import { z } from 'zod';
import { InvalidArgumentError } from '../errors.js';
import type { ContainerRecord } from './record.js';
import type { LogEntry } from './log-entry.js';
import { readJsonLog } from './log-reader.js';

/** The Engine API's form of a time: unix seconds with an optional fraction ("1700000000.5"); "0" means none. */
const UNIX_TIME = /^\d+(?:\.\d{1,9})?$/;

const logTime = z.union([z.date(), z.string().regex(UNIX_TIME, 'must be unix seconds, optionally with a fraction (1700000000.123456789)')]);

export const logsOptionsSchema = z
  .object({
    /** Go on with new output until the container exits (or signal aborts). */
    follow: z.boolean().default(false),
    /** Only the last N entries; negative or absent: all. */
    tail: z.number().int().optional(),
    /** Only entries at or after this time. */
    since: logTime.optional(),
    /** Only entries at or before this time. */
    until: logTime.optional(),
    signal: z.instanceof(AbortSignal).optional(),
  })
  .strict();

export type LogsOptions = z.input<typeof logsOptionsSchema>;

/** A container's log entries; iterate once, either entry by entry or in the batches they were read in. */
export interface LogStream extends AsyncIterable<LogEntry> {
  /** The same entries as arrays, one per chunk read: fewer awaits for consumers that copy out in bulk. */
  batches(): AsyncIterable<LogEntry[]>;
}

/** A time as entries carry it (RFC 3339, UTC, nine fraction digits), so that they compare as strings; undefined for "none". */
export function logTimeKey(t: Date | string): string | undefined {
  let seconds: number;
  let nanos: string;
  if (t instanceof Date) {
    const ms = t.getTime();
    if (Number.isNaN(ms)) throw new InvalidArgumentError('invalid time');
    seconds = Math.floor(ms / 1000);
    nanos = String((ms - seconds * 1000) * 1e6).padStart(9, '0');
  } else {
    const [whole = '0', frac = ''] = t.split('.');
    seconds = Number(whole);
    nanos = frac.padEnd(9, '0');
  }
  // docker: a zero time is no bound at all.
  if (seconds <= 0 && /^0+$/.test(nanos)) return undefined;
  const date = new Date(Math.min(seconds, 253402300799) * 1000);
  return `${date.toISOString().slice(0, 19)}.${nanos}Z`;
}

export function openContainerLogs(dir: string, rec: ContainerRecord, options: LogsOptions, running: () => Promise<boolean>): LogStream {
  const parsed = logsOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw new InvalidArgumentError(`${where}${issue?.message ?? 'invalid options'}`);
  }
  const o = parsed.data;
  if (rec.HostConfig.LogConfig.Type !== 'json-file') throw new InvalidArgumentError('configured logging driver does not support reading');
  const since = o.since === undefined ? undefined : logTimeKey(o.since);
  const until = o.until === undefined ? undefined : logTimeKey(o.until);
  // docker follows a running container only; a stopped one's log is complete.
  const follow = o.follow && rec.State.Running ? { exitFile: path.join(dir, 'exit.json'), running, signal: o.signal } : undefined;
  let used = false;
  const batches = (): AsyncGenerator<LogEntry[]> => {
    if (used) throw new InvalidArgumentError('a log stream can be read once');
    used = true;
    return readJsonLog(dir, rec.Id, { tail: o.tail, since, until, follow });
  };
  return {
    batches,
    async *[Symbol.asyncIterator]() {
      for await (const batch of batches()) yield* batch;
    },
  };
}
