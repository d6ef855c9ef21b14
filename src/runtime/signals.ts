/**
 * Signal names as docker takes them (`KILL`, `SIGKILL`, `9`) for kill, stop and STOPSIGNAL.
 */
import { constants } from 'node:os';
import { InvalidArgumentError } from '../errors.js';

const SIGNALS = constants.signals as Readonly<Record<string, number>>;

/** A signal name or number as given, checked; numbers stay numbers. */
export function parseSignal(raw: string): NodeJS.Signals | number {
  if (/^\d+$/.test(raw)) {
    const n = Number(raw);
    if (n < 1 || n > 64) throw new InvalidArgumentError(`Invalid signal: ${raw}`);
    return n;
  }
  const upper = raw.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  if (SIGNALS[name] === undefined) throw new InvalidArgumentError(`Invalid signal: ${raw}`);
  return name as NodeJS.Signals;
}

/** The signal's number, for comparing names with numbers. */
export function signalNumber(signal: NodeJS.Signals | number): number {
  return typeof signal === 'number' ? signal : (SIGNALS[signal] ?? 0);
}
