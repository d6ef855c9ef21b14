/**
 * `--since` and `--until` as docker's CLI reads them (timetypes.GetTimestamp): a Go duration
 * back from now ("10m", "1h30m"), an RFC 3339 date or date-time with or without zone (local
 * time without one), or unix seconds with an optional fraction. The result is the Engine
 * API's form, unix seconds with nine fraction digits.
 */
import { InvalidArgumentError } from '../errors.js';
import { parseDuration } from './units.js';

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?(Z|[+-]\d{2}:\d{2})?$/;
const UNIX = /^[+-]?\d+(?:\.(\d*))?$/;

function seconds(ms: number, nanos: string): string {
  const s = Math.floor(ms / 1000);
  return s < 0 ? '0' : `${s}.${nanos}`;
}

function parseDateTime(value: string, m: RegExpExecArray): string {
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const fields = { month: [Number(mo), 1, 12], day: [Number(d), 1, 31], hour: [Number(h), 0, 23], minute: [Number(mi), 0, 59], second: [Number(s), 0, 59] } as const;
  for (const [name, [v, lo, hi]] of Object.entries(fields)) {
    if (v < lo || v > hi) throw new InvalidArgumentError(`parsing time "${value}": ${name} out of range`);
  }
  const parts = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)] as const;
  let ms: number;
  if (zone === undefined) {
    ms = new Date(...parts).getTime();
  } else {
    const offset = zone === 'Z' ? 0 : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
    ms = Date.UTC(...parts) - offset * 60_000;
  }
  // Date rolls 31 February over into March; Go refuses it.
  const check = new Date(zone === undefined ? ms : Date.UTC(...parts));
  if ((zone === undefined ? check.getDate() : check.getUTCDate()) !== Number(d)) throw new InvalidArgumentError(`parsing time "${value}": day out of range`);
  return seconds(ms, frac.padEnd(9, '0'));
}

/** docker's GetTimestamp against `now`: the unix time (seconds.nanoseconds) value names. */
export function parseLogTime(value: string, now: Date = new Date()): string {
  if (value !== '0') {
    let duration: number | undefined;
    try {
      duration = parseDuration(value);
    } catch {
      duration = undefined;
    }
    if (duration !== undefined) return String(Math.max(0, Math.floor((now.getTime() - duration / 1e6) / 1000)));
  }
  const m = DATE_TIME.exec(value);
  if (m) return parseDateTime(value, m);
  // Something like a date that did not parse is an error, not a number.
  if (value.includes('-')) throw new InvalidArgumentError(`parsing time "${value}": cannot parse as RFC 3339`);
  const unix = UNIX.exec(value);
  if (!unix) throw new InvalidArgumentError(`failed to parse value as time or duration: "${value}"`);
  const [whole = '0', frac = ''] = value.split('.');
  return frac === '' ? String(Number(whole)) : `${Number(whole)}.${frac.slice(0, 9).padEnd(9, '0')}`;
}
