/**
 * Sizes as docker's go-units RAMInBytes reads them (`--memory`, `--log-opt max-size`), in one
 * place for the CLI's flags and the library's checks of what callers pass.
 */
import { InvalidArgumentError } from '../errors.js';

/** go-units v0.4 (docker 20.10): a number, one optional blank, then k/m/g/t/p with an optional i and b. */
const SIZE = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/;
const BINARY_UNITS: Readonly<Record<string, number>> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };

/**
 * "512m", "1.5g", "10KiB", "64 MB": binary multiples, case-insensitive. Sizes beyond int64,
 * which Go wraps to a negative number, are refused instead.
 */
export function parseBytes(size: string): number {
  const match = SIZE.exec(size);
  if (match === null) throw new InvalidArgumentError(`invalid size: '${size}'`);
  const [, number = '', unit] = match;
  // The pattern admits "1.2.3"; go-units then reports strconv.ParseFloat's refusal as is.
  if (number.indexOf('.') !== number.lastIndexOf('.')) throw new InvalidArgumentError(`strconv.ParseFloat: parsing "${number}": invalid syntax`);
  const bytes = Math.trunc(Number(number) * (unit === undefined ? 1 : (BINARY_UNITS[unit.toLowerCase()] ?? 1)));
  if (bytes > Number.MAX_SAFE_INTEGER) throw new InvalidArgumentError(`invalid size: '${size}'`);
  return bytes;
}
