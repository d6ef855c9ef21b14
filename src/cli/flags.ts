/**
 * A declarative flag parser with the semantics of spf13/pflag as cobra drives it, so that
 * `berth` accepts exactly the command lines `docker` accepts and rejects the others with
 * docker's words. Hand-written rather than commander/yargs: those disagree with pflag on
 * `-eK=V` vs `-e=K=V`, on which shorthand a combined group may end with, on `-h` being an
 * ordinary flag (run's --hostname), and their error messages are not docker's.
 */
import { BerthError } from '../errors.js';

/** A command-line error: the CLI prints `berth: <message>`, a `See 'berth CMD --help'.` hint and exits 125. */
export class FlagError extends BerthError {
  constructor(message: string) {
    super('InvalidArgument', message, { exitCode: 125 });
    this.name = 'FlagError';
  }
}

interface FlagSpecBase {
  readonly long: string;
  /** One character. */
  readonly short?: string;
  readonly description: string;
  /** The word after the flag in help (`-e, --env list`); defaults to the type's name, as pflag. */
  readonly valueName?: string;
  readonly hidden?: boolean;
  /** Other long names that set the same value and never appear in help (docker's hidden `--net`). */
  readonly aliases?: readonly string[];
}

export interface BoolFlagSpec extends FlagSpecBase {
  readonly type: 'bool';
  readonly default?: boolean;
}
export interface StringFlagSpec extends FlagSpecBase {
  readonly type: 'string';
  readonly default?: string;
  /** Rejects a value by throwing; docker validates each value as it is set, before later flags are read. */
  readonly validate?: (value: string) => void;
}
export interface StringArrayFlagSpec extends FlagSpecBase {
  readonly type: 'stringArray';
  readonly default?: readonly string[];
  readonly validate?: (value: string) => void;
}
export interface IntFlagSpec extends FlagSpecBase {
  readonly type: 'int';
  readonly default?: number;
}
export interface NumberFlagSpec extends FlagSpecBase {
  readonly type: 'number';
  readonly default?: number;
}

export type FlagSpec = BoolFlagSpec | StringFlagSpec | StringArrayFlagSpec | IntFlagSpec | NumberFlagSpec;
export type FlagType = FlagSpec['type'];

export type FlagValue<T extends FlagType> = T extends 'bool'
  ? boolean
  : T extends 'string'
    ? string
    : T extends 'stringArray'
      ? string[]
      : number;

/** The parsed values of a flag table, keyed by long name. */
export type FlagValues<S extends readonly FlagSpec[]> = {
  [F in S[number] as F['long']]: FlagValue<F['type']>;
};

export interface ParseOptions {
  /**
   * true (pflag's default): flags may follow positionals (`rm a -f b`). false: the first
   * positional ends the flags, so `run -it img sh -c x` leaves `sh -c x` to the container.
   */
  readonly interspersed?: boolean;
}

export interface ParseResult<S extends readonly FlagSpec[]> {
  readonly values: FlagValues<S>;
  /** Long names given on the command line (pflag's Changed): tells `--entrypoint ""` from no --entrypoint. */
  readonly changed: ReadonlySet<S[number]['long']>;
  readonly positionals: string[];
  /** How many positionals came before `--`, or -1 without one (cobra's ArgsLenAtDash). */
  readonly argsLenAtDash: number;
  /** `--help` was given (or `-h` where no flag of the command takes that letter, as cobra). */
  readonly help: boolean;
}

/** Checks a table once where it is declared, so a clash is a bug found by the first test, not a user. */
export function defineFlags<const S extends readonly FlagSpec[]>(specs: S): S {
  const longs = new Set<string>();
  const shorts = new Set<string>();
  for (const spec of specs) {
    for (const long of [spec.long, ...(spec.aliases ?? [])]) {
      if (long === '' || long.startsWith('-') || long.includes('=')) throw new Error(`bad flag name: ${long}`);
      if (longs.has(long)) throw new Error(`flag redefined: ${long}`);
      longs.add(long);
    }
    if (spec.short !== undefined) {
      if (spec.short.length !== 1 || spec.short === '-' || spec.short === '=') throw new Error(`bad shorthand: ${spec.short}`);
      if (shorts.has(spec.short)) throw new Error(`unable to redefine ${JSON.stringify(spec.short)} shorthand`);
      shorts.add(spec.short);
    }
  }
  return specs;
}

/** `-m, --memory` or `--cpus`: how pflag names a flag in `invalid argument` errors. */
export function flagDisplayName(spec: FlagSpec): string {
  return spec.short === undefined ? `--${spec.long}` : `-${spec.short}, --${spec.long}`;
}

/** docker's error for a value a flag refuses: `invalid argument "12x" for "-m, --memory" flag: <reason>`. */
export function invalidArgument(spec: FlagSpec, value: string, reason: string): FlagError {
  return new FlagError(`invalid argument ${goQuote(value)} for ${goQuote(flagDisplayName(spec))} flag: ${reason}`);
}

type StoredValue = boolean | string | string[] | number;

export function parseFlags<const S extends readonly FlagSpec[]>(
  specs: S,
  args: readonly string[],
  options: ParseOptions = {},
): ParseResult<S> {
  const interspersed = options.interspersed ?? true;
  const byLong = new Map<string, FlagSpec>();
  const byShort = new Map<string, FlagSpec>();
  for (const spec of specs) {
    for (const long of [spec.long, ...(spec.aliases ?? [])]) byLong.set(long, spec);
    if (spec.short !== undefined) byShort.set(spec.short, spec);
  }
  // cobra gives every command --help, with -h unless the command uses that letter.
  const implicitHelp = !byLong.has('help');
  if (implicitHelp) {
    const help: BoolFlagSpec = { long: 'help', type: 'bool', description: 'Print usage', hidden: true, ...(byShort.has('h') ? {} : { short: 'h' }) };
    byLong.set('help', help);
    if (help.short !== undefined) byShort.set(help.short, help);
  }

  const values = new Map<string, StoredValue>();
  const changed = new Set<string>();
  for (const spec of byLong.values()) values.set(spec.long, defaultValue(spec));

  const set = (spec: FlagSpec, value: string): void => {
    values.set(spec.long, convert(spec, value, values.get(spec.long), changed.has(spec.long)));
    changed.add(spec.long);
  };

  const positionals: string[] = [];
  let argsLenAtDash = -1;
  let i = 0;
  while (i < args.length) {
    const arg = args[i++] as string;
    if (arg.length < 2 || !arg.startsWith('-')) {
      positionals.push(arg);
      if (!interspersed) {
        positionals.push(...args.slice(i));
        break;
      }
      continue;
    }
    if (arg === '--') {
      argsLenAtDash = positionals.length;
      positionals.push(...args.slice(i));
      break;
    }
    i = arg.startsWith('--') ? parseLong(arg, args, i, byLong, set) : parseShorts(arg, args, i, byShort, set);
  }

  const help = values.get('help') === true;
  // The implicit flag is cobra's, not the table's: its value is reported as `help` only.
  if (implicitHelp) values.delete('help');
  const result: ParseResult<readonly FlagSpec[]> = {
    values: Object.fromEntries(values),
    changed,
    positionals,
    argsLenAtDash,
    help,
  };
  // The mapped type cannot be checked against a Map built at run time; the loop above fills one
  // value of the declared type for every spec, which is what the type promises.
  return result as ParseResult<S>;
}

type Setter = (spec: FlagSpec, value: string) => void;

/** `--name=x`, `--name x`, `--rm`, `--rm=false`. Returns the index of the next unread argument. */
function parseLong(arg: string, args: readonly string[], next: number, byLong: Map<string, FlagSpec>, set: Setter): number {
  const body = arg.slice(2);
  if (body.startsWith('-') || body.startsWith('=')) throw new FlagError(`bad flag syntax: ${arg}`);
  const eq = body.indexOf('=');
  const name = eq < 0 ? body : body.slice(0, eq);
  const spec = byLong.get(name);
  if (spec === undefined) throw new FlagError(`unknown flag: --${name}`);
  if (eq >= 0) {
    set(spec, body.slice(eq + 1));
  } else if (spec.type === 'bool') {
    set(spec, 'true');
  } else if (next < args.length) {
    // pflag takes the next word whatever it looks like: `--name -x` names the container "-x".
    set(spec, args[next] as string);
    return next + 1;
  } else {
    throw new FlagError(`flag needs an argument: ${arg}`);
  }
  return next;
}

/**
 * A group of shorthands, `-it`, where each bool takes none and the first flag that takes a value
 * swallows the rest of the group (`-eK=V`, or `-e=K=V` with the `=` dropped) or else the next word.
 */
function parseShorts(arg: string, args: readonly string[], next: number, byShort: Map<string, FlagSpec>, set: Setter): number {
  let rest = arg.slice(1);
  let after = next;
  while (rest.length > 0) {
    const c = rest[0] as string;
    const spec = byShort.get(c);
    // pflag names what is left of the group, not the whole word: `-iz` fails "in -z".
    if (spec === undefined) throw new FlagError(`unknown shorthand flag: ${goQuoteRune(c)} in -${rest}`);
    if (rest.length > 2 && rest[1] === '=') {
      set(spec, rest.slice(2));
      rest = '';
    } else if (spec.type === 'bool') {
      set(spec, 'true');
      rest = rest.slice(1);
    } else if (rest.length > 1) {
      set(spec, rest.slice(1));
      rest = '';
    } else if (next < args.length) {
      set(spec, args[next] as string);
      after = next + 1;
      rest = '';
    } else {
      throw new FlagError(`flag needs an argument: ${goQuoteRune(c)} in -${rest}`);
    }
  }
  return after;
}

function defaultValue(spec: FlagSpec): StoredValue {
  switch (spec.type) {
    case 'bool':
      return spec.default ?? false;
    case 'string':
      return spec.default ?? '';
    case 'stringArray':
      return [...(spec.default ?? [])];
    case 'int':
    case 'number':
      return spec.default ?? 0;
  }
}

function convert(spec: FlagSpec, value: string, current: StoredValue | undefined, wasSet: boolean): StoredValue {
  try {
    switch (spec.type) {
      case 'bool':
        return parseGoBool(value);
      case 'int':
        return parseGoInt(value);
      case 'number':
        return parseGoFloat(value);
      case 'string':
        spec.validate?.(value);
        return value;
      case 'stringArray':
        spec.validate?.(value);
        // pflag's stringArray: the first value given replaces the default, later ones append.
        return wasSet && Array.isArray(current) ? [...current, value] : [value];
    }
  } catch (err) {
    throw invalidArgument(spec, value, err instanceof Error ? err.message : String(err));
  }
}

/** Go's strconv.ParseBool. */
export function parseGoBool(s: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  throw new Error(`strconv.ParseBool: parsing ${goQuote(s)}: invalid syntax`);
}

// Go integer literal syntax as strconv.ParseInt(s, 0, 64) reads it: base prefixes, a leading 0
// for octal, and underscores only between digits.
const GO_INT = /^([+-]?)(?:0[xX]((?:_?[0-9a-fA-F])+)|0[oO]((?:_?[0-7])+)|0[bB]((?:_?[01])+)|(0(?:_?[0-7])*)|([1-9](?:_?[0-9])*))$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Go's strconv.ParseInt(s, 0, 64), as pflag's int and int64 flags use it. */
export function parseGoInt(s: string): number {
  const m = GO_INT.exec(s);
  if (m === null) throw new Error(`strconv.ParseInt: parsing ${goQuote(s)}: invalid syntax`);
  const [, sign, hex, oct, bin, leadingZeroOct, dec] = m;
  const digits = (d: string): string => d.replaceAll('_', '');
  let magnitude: bigint;
  if (hex !== undefined) magnitude = BigInt(`0x${digits(hex)}`);
  else if (oct !== undefined) magnitude = BigInt(`0o${digits(oct)}`);
  else if (bin !== undefined) magnitude = BigInt(`0b${digits(bin)}`);
  else if (leadingZeroOct !== undefined) magnitude = BigInt(`0o${digits(leadingZeroOct)}`);
  else magnitude = BigInt(digits(dec ?? ''));
  const n = sign === '-' ? -magnitude : magnitude;
  if (n < INT64_MIN || n > INT64_MAX) throw new Error(`strconv.ParseInt: parsing ${goQuote(s)}: value out of range`);
  return Number(n);
}

const GO_DECIMAL_FLOAT = /^[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/;
const GO_SPECIAL_FLOAT = /^([+-]?)(inf|infinity|nan)$/i;

/** Go's strconv.ParseFloat(s, 64) for decimal literals, Inf and NaN (hex floats are not accepted). */
export function parseGoFloat(s: string): number {
  const special = GO_SPECIAL_FLOAT.exec(s);
  if (special !== null) {
    const [, sign, word] = special;
    if (word?.toLowerCase() === 'nan') {
      // Go accepts "NaN" but not a signed one.
      if (sign === '') return Number.NaN;
    } else {
      return sign === '-' ? -Infinity : Infinity;
    }
  }
  if (!GO_DECIMAL_FLOAT.test(s)) throw new Error(`strconv.ParseFloat: parsing ${goQuote(s)}: invalid syntax`);
  const n = Number(s.replaceAll('_', ''));
  if (!Number.isFinite(n)) throw new Error(`strconv.ParseFloat: parsing ${goQuote(s)}: value out of range`);
  return n;
}

/** Go's %q for a string (strconv.Quote), which docker's messages use for values and flag names. */
export function goQuote(s: string): string {
  return `"${[...s].map((ch) => goEscape(ch, '"')).join('')}"`;
}

/** Go's %q for a single character (strconv.QuoteRune). */
export function goQuoteRune(ch: string): string {
  return `'${goEscape(ch, "'")}'`;
}

const GO_ESCAPES: Readonly<Record<string, string>> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '\\': '\\\\',
};

function goEscape(ch: string, quote: string): string {
  if (ch === quote) return `\\${quote}`;
  const escaped = GO_ESCAPES[ch];
  if (escaped !== undefined) return escaped;
  const code = ch.codePointAt(0) ?? 0;
  if (code < 0x20 || code === 0x7f) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code >= 0x80 && code < 0xa0) return `\\u${code.toString(16).padStart(4, '0')}`;
  return ch;
}
