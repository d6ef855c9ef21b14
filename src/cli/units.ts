/**
 * docker's value parsers, message for message, so `berth` refuses what `docker` refuses
 * with the same words: go-units' RAMInBytes (`--memory`), opts.ParseCPUs (`--cpus`),
 * ValidateEnv (`-e`) and ParseEnvFile (`--env-file`). The wording is docker 20.10's, the
 * release the project measures itself against.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, isSystemError } from '../errors.js';
export { parseBytes } from '../util/size.js';

/** The host environment, as process.env: where bare `-e K` and env-file `K` take their values. */
export type HostEnv = Readonly<Record<string, string | undefined>>;

function refuse(message: string): InvalidArgumentError {
  return new InvalidArgumentError(message);
}

const NANO_DIGITS = 9;
const INT64_MAX = 2n ** 63n - 1n;
/** The decimal forms of big.Rat.SetString that people type: "1.5", ".5", "2.", "15e-1", "+2". */
const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const FRACTION = /^([+-]?\d+)\/(\d+)$/;

/**
 * `--cpus` as docker's opts.ParseCPUs reads it: an exact rational number of CPUs ("1.5",
 * "3/2"), returned in units of 1e-9 CPU. Negative counts are refused here, where docker
 * leaves them to the daemon.
 */
export function parseCpus(value: string): number {
  const nano = nanoCpus(value);
  if (nano === undefined) throw refuse(`failed to parse ${value} as a rational number`);
  if (nano < 0n) throw refuse('the number of CPUs must not be negative');
  if (nano > INT64_MAX) throw refuse('value out of range');
  return Number(nano);
}

/** The exact value × 1e9, or undefined when it is not a rational number. */
function nanoCpus(value: string): bigint | undefined {
  const fraction = FRACTION.exec(value);
  if (fraction !== null) {
    const [, numerator = '', denominator = ''] = fraction;
    const den = BigInt(denominator);
    if (den === 0n) return undefined;
    return exactQuotient(BigInt(numerator) * 10n ** BigInt(NANO_DIGITS), den);
  }
  const decimal = DECIMAL.exec(value);
  if (decimal === null) return undefined;
  const [, sign = '', whole = '', frac = '', exponent = '0'] = decimal;
  if (whole === '' && frac === '') return undefined;
  const digits = BigInt(`${whole}${frac}`);
  if (digits === 0n) return 0n;
  // value × 1e9 = digits × 10^shift; the shift is computed on strings so "1e999999999" costs nothing.
  const shift = BigInt(exponent) + BigInt(NANO_DIGITS - frac.length);
  let magnitude: bigint;
  if (shift > 19n) {
    // At least 10^20 nano CPUs: past int64, whatever the digits.
    magnitude = INT64_MAX + 1n;
  } else if (shift >= 0n) {
    magnitude = digits * 10n ** shift;
  } else {
    // Non-zero digits shorter than the power of ten cannot be a multiple of it.
    if (-shift > BigInt(`${digits}`.length)) throw refuse('value is too precise');
    magnitude = exactQuotient(digits, 10n ** -shift);
  }
  return sign === '-' ? -magnitude : magnitude;
}

function exactQuotient(a: bigint, b: bigint): bigint {
  if (a % b !== 0n) throw refuse('value is too precise');
  return a / b;
}

/**
 * One `-e` argument, as docker's ValidateEnv: `K=V` as given; a bare `K` takes K's host
 * value, and is dropped (undefined) when K is unset there.
 */
export function parseEnvArg(arg: string, hostEnv: HostEnv): string | undefined {
  const eq = arg.indexOf('=');
  if (eq === 0 || arg === '') throw refuse(`invalid environment variable: ${arg}`);
  if (eq > 0) return arg;
  const value = hostEnv[arg];
  return value === undefined ? undefined : `${arg}=${value}`;
}

/** Go's unicode.IsSpace, which docker uses to trim the start of env-file lines. */
const LEADING_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });
const UTF8_BOM = '\ufeff';

/** Go's wording for the errors of opening and reading a file. */
function fileError(path: string, err: unknown): InvalidArgumentError {
  if (isSystemError(err, 'EISDIR')) return refuse(`read ${path}: is a directory`);
  const reasons: Readonly<Record<string, string>> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    ENOTDIR: 'not a directory',
    ELOOP: 'too many levels of symbolic links',
  };
  const reason = isSystemError(err) ? reasons[err.code] : undefined;
  return refuse(`open ${path}: ${reason ?? (err instanceof Error ? err.message : String(err))}`);
}

/**
 * One `--env-file`, as docker's ParseEnvFile: `K=V` lines kept verbatim (quotes and trailing
 * blanks belong to the value), `#` comments and blank lines skipped, leading blanks trimmed,
 * a bare `K` given the host's value or dropped when the host has none.
 */
export function parseEnvFile(path: string, hostEnv: HostEnv): string[] {
  let content: Buffer;
  try {
    content = readFileSync(path);
  } catch (err) {
    throw fileError(path, err);
  }
  const entries: string[] = [];
  let start = 0;
  for (let lineNumber = 1; start < content.length; lineNumber++) {
    const newline = content.indexOf(0x0a, start);
    const end = newline === -1 ? content.length : newline;
    // bufio.ScanLines: a final line needs no newline, and a CR before the newline is dropped.
    const raw = content.subarray(start, end > start && content[end - 1] === 0x0d ? end - 1 : end);
    start = end + 1;
    let text: string;
    try {
      text = UTF8.decode(raw);
    } catch {
      throw refuse(`env file ${path} contains invalid utf8 bytes at line ${lineNumber}: [${[...raw].join(' ')}]`);
    }
    if (lineNumber === 1 && text.startsWith(UTF8_BOM)) text = text.slice(UTF8_BOM.length);
    const line = text.replace(LEADING_SPACE, '');
    if (line === '' || line.startsWith('#')) continue;
    const entry = envFileEntry(line, hostEnv);
    if (entry !== undefined) entries.push(entry);
  }
  return entries;
}

function envFileEntry(line: string, hostEnv: HostEnv): string | undefined {
  const eq = line.indexOf('=');
  const name = eq === -1 ? line : line.slice(0, eq);
  if (/[ \t]/.test(name)) throw refuse(`poorly formatted environment: variable '${name}' contains whitespaces`);
  if (name === '') throw refuse(`poorly formatted environment: no variable name on line '${line}'`);
  if (eq !== -1) return line;
  const value = hostEnv[name];
  return value === undefined ? undefined : `${name}=${value}`;
}

const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** A Go duration as docker's flags take it ("30s", "1m30s", "1.5h", "0"), in nanoseconds. */
export function parseDuration(value: string): number {
  if (value === '0') return 0;
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  while (at < value.length) {
    part.lastIndex = at;
    const m = part.exec(value);
    if (m === null) throw refuse(`time: invalid duration "${value}"`);
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    at = part.lastIndex;
  }
  if (value.length === 0) throw refuse('time: invalid duration ""');
  return Math.round(total);
}

/** `--restart no|on-failure[:N]|always|unless-stopped`, as docker's ParseRestartPolicy. */
export function parseRestartPolicy(value: string): { Name: 'no' | 'on-failure' | 'always' | 'unless-stopped'; MaximumRetryCount: number } {
  const [name = '', count, extra] = value.split(':');
  if (extra !== undefined) throw refuse(`invalid restart policy format: ${value}`);
  switch (name) {
    case '':
    case 'no':
    case 'always':
    case 'unless-stopped':
      if (count !== undefined) throw refuse(`maximum retry count cannot be used with restart policy '${name}'`);
      return { Name: name === '' ? 'no' : name, MaximumRetryCount: 0 };
    case 'on-failure': {
      if (count === undefined) return { Name: 'on-failure', MaximumRetryCount: 0 };
      if (!/^\d+$/.test(count)) throw refuse(`invalid restart policy format: maximum retry count must be an integer: ${count}`);
      return { Name: 'on-failure', MaximumRetryCount: Number(count) };
    }
    default:
      throw refuse(`invalid restart policy format: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  }
}
