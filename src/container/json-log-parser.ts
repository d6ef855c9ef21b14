/**
 * Reads json-file log lines. The shim writes one exact shape,
 * `{"log":"…","stream":"stdout","time":"2026-11-23T11:29:54.123456789Z"}`, whose only escape in
 * an ordinary line is the final `\n`; those lines are taken apart by byte offsets, without
 * decoding or copying the text. Anything else (escapes, attrs, another writer's layout) goes
 * through JSON.parse.
 */
import { z } from 'zod';
import type { LogEntry } from './log-entry.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
const LETTER_N = 0x6e;
const LETTER_Z = 0x5a;
const BRACE = 0x7d;

const HEAD = Buffer.from('{"log":"');
const MID_STDOUT = Buffer.from('","stream":"stdout","time":"');
const MID_STDERR = Buffer.from('","stream":"stderr","time":"');
/** `2026-11-23T11:29:54.123456789Z` */
const TIME_LEN = 30;
const TAIL_LEN = 2; // `"}`
const MIN_LINE = HEAD.length + MID_STDOUT.length + TIME_LEN + TAIL_LEN + 1;

const fallbackLine = z.object({
  log: z.string(),
  stream: z.enum(['stdout', 'stderr']),
  time: z.string(),
  attrs: z.record(z.string()).optional(),
});

function matchesAt(buf: Buffer, at: number, lit: Buffer): boolean {
  for (let i = 0; i < lit.length; i++) if (buf[at + i] !== lit[i]) return false;
  return true;
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** Any RFC 3339 time as the fixed UTC form entries carry; undefined when it is not one. */
export function normalizeLogTime(time: string): string | undefined {
  const m = RFC3339.exec(time);
  if (!m) return undefined;
  const [, base = '', frac = '', zone = 'Z'] = m;
  const nanos = frac.padEnd(9, '0');
  if (zone === 'Z') return `${base}.${nanos}Z`;
  const ms = Date.parse(`${base}${zone}`);
  if (Number.isNaN(ms)) return undefined;
  return `${new Date(ms).toISOString().slice(0, 19)}.${nanos}Z`;
}

function parseSlow(line: string): LogEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  const parsed = fallbackLine.safeParse(value);
  if (!parsed.success) return undefined;
  const time = normalizeLogTime(parsed.data.time);
  if (time === undefined) return undefined;
  const entry: LogEntry = { stream: parsed.data.stream, time, data: Buffer.from(parsed.data.log, 'utf8') };
  if (parsed.data.attrs && Object.keys(parsed.data.attrs).length > 0) entry.attrs = parsed.data.attrs;
  return entry;
}

/**
 * Parses the complete lines of buf from `start` up to and including the newline before `end`,
 * pushing their entries onto out; returns where the unparsed rest (a line still being
 * written) begins. Entries' data point into buf, which this may change in place: the caller
 * gives up buf for good.
 */
/**
 * An entry of the shim's own shape: its time is cut out of the read buffer only when asked
 * for (printing without -t or filters never does).
 */
class ShimLogEntry implements LogEntry {
  constructor(
    readonly stream: 'stdout' | 'stderr',
    readonly data: Buffer,
    private readonly source: Buffer,
    private readonly timeAt: number,
  ) {}

  get time(): string {
    return this.source.toString('latin1', this.timeAt, this.timeAt + TIME_LEN);
  }
}

export function parseJsonLogLines(buf: Buffer, start: number, end: number, out: LogEntry[]): number {
  let s = start;
  // The first backslash at or after a line's text (buf.length: none). Output without newlines
  // has none for megabytes; searching again for every line would be quadratic.
  let b = -1;
  while (s < end) {
    const text = s + HEAD.length;
    // The shim's shape has a fixed length after the text, so its newline need not be searched for.
    if (end - s >= MIN_LINE && matchesAt(buf, s, HEAD)) {
      const q = buf.indexOf(QUOTE, text);
      const t = q + MID_STDOUT.length;
      const e = t + TIME_LEN + TAIL_LEN;
      if (q >= 0 && e < end && buf[e] === NEWLINE && buf[t + TIME_LEN - 1] === LETTER_Z && buf[e - 2] === QUOTE && buf[e - 1] === BRACE) {
        if (b < text) {
          b = buf.indexOf(BACKSLASH, text);
          if (b < 0) b = buf.length;
        }
        // The text ends at the first quote when no backslash comes before it, or right after a
        // lone `\n` just before it; any other escape is for JSON.parse.
        const plain = b > q;
        const newlineEnd = b === q - 2 && buf[q - 1] === LETTER_N;
        const stream = !(plain || newlineEnd) ? undefined : matchesAt(buf, q, MID_STDOUT) ? 'stdout' : matchesAt(buf, q, MID_STDERR) ? 'stderr' : undefined;
        if (stream) {
          let dataEnd = q;
          if (newlineEnd) {
            // The escaped newline becomes the newline itself, one byte shorter, in place.
            buf[q - 2] = NEWLINE;
            dataEnd = q - 1;
          }
          out.push(new ShimLogEntry(stream, buf.subarray(text, dataEnd), buf, t));
          s = e + 1;
          continue;
        }
      }
    }
    const e = buf.indexOf(NEWLINE, s);
    if (e < 0 || e >= end) return s;
    const entry = parseSlow(buf.toString('utf8', s, e));
    if (entry) out.push(entry);
    s = e + 1;
  }
  return s;
}
