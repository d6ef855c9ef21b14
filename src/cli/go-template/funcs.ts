/** The functions templates call: Go's builtins and docker's (json, join, split, upper, lower, title, pad, truncate). */
import { goPrint, goTypeName, structType, truth } from './values.js';

export class FuncError extends Error {}

export type GoFunc = (...args: unknown[]) => unknown;

function arity(name: string, args: unknown[], min: number, max = min): void {
  if (args.length < min || args.length > max) throw new FuncError(`wrong number of args for ${name}: want ${min === max ? min : `at least ${min}`} got ${args.length}`);
}

function basicKind(v: unknown): 'string' | 'number' | 'bool' | 'nil' | undefined {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (v === null || v === undefined) return 'nil';
  return undefined;
}

function compareEq(a: unknown, b: unknown): boolean {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka === undefined || kb === undefined) throw new FuncError('non-comparable type');
  if (ka !== kb) throw new FuncError('incompatible types for comparison');
  return a === b || (ka === 'nil' && kb === 'nil');
}

function compareLess(a: unknown, b: unknown): boolean {
  const ka = basicKind(a);
  if ((ka !== 'string' && ka !== 'number') || basicKind(b) === undefined) throw new FuncError('invalid type for comparison');
  if (ka !== basicKind(b)) throw new FuncError('incompatible types for comparison');
  return (a as string | number) < (b as string | number);
}

function lengthOf(v: unknown): number {
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (Array.isArray(v)) return v.length;
  if (typeof v === 'object' && v !== null && structType(v) === undefined) return Object.keys(v).length;
  throw new FuncError(`len of type ${goTypeName(v)}`);
}

function indexOf(item: unknown, ...keys: unknown[]): unknown {
  let v = item;
  for (const k of keys) {
    if (Array.isArray(v) || typeof v === 'string') {
      if (typeof k !== 'number' || !Number.isInteger(k)) throw new FuncError(`cannot index slice/array with type ${goTypeName(k)}`);
      const len = Array.isArray(v) ? v.length : v.length;
      if (k < 0 || k >= len) throw new FuncError(`index out of range: ${k}`);
      v = Array.isArray(v) ? v[k] : v.charCodeAt(k);
    } else if (typeof v === 'object' && v !== null && structType(v) === undefined) {
      if (typeof k !== 'string') throw new FuncError(`value has type ${goTypeName(k)}; should be string`);
      // A missing key gives the zero value, as Go's index does for a map.
      v = Object.prototype.hasOwnProperty.call(v, k) ? (v as Record<string, unknown>)[k] : undefined;
    } else if (v === null || v === undefined) {
      throw new FuncError('index of untyped nil');
    } else throw new FuncError(`can't index item of type ${goTypeName(v)}`);
  }
  return v;
}

/** fmt.Sprint: a space between operands when neither is a string. */
function sprint(args: unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += goPrint(a);
  });
  return out;
}

/** fmt.Sprintf for the verbs templates use: %v %s %d %q %f %e %g %t %x %X %o %c %%, with flags, width and precision. */
export function sprintf(format: string, args: unknown[]): string {
  let argi = 0;
  const out = format.replace(/%([-+# 0]*)(\d+|\*)?(?:\.(\d+|\*)?)?([a-zA-Z%])/g, (whole, flags: string, w: string | undefined, p: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    const width = w === '*' ? Number(args[argi++]) : w !== undefined ? Number(w) : undefined;
    const prec = p === '*' ? Number(args[argi++]) : p !== undefined ? Number(p) : whole.includes('.') ? 0 : undefined;
    if (argi >= args.length) return `%!${verb}(MISSING)`;
    const a = args[argi++];
    const bad = (): string => `%!${verb}(${goTypeName(a)}=${goPrint(a)})`;
    let s: string;
    switch (verb) {
      case 'v':
        s = flags.includes('#') && typeof a === 'string' ? JSON.stringify(a) : goPrint(a);
        break;
      case 's':
        s = typeof a === 'string' || Array.isArray(a) || typeof a === 'object' ? goPrint(a) : bad();
        if (prec !== undefined && typeof a === 'string') s = [...s].slice(0, prec).join('');
        break;
      case 'q':
        s = typeof a === 'string' ? JSON.stringify(a) : typeof a === 'number' ? `'${String.fromCodePoint(a)}'` : bad();
        break;
      case 'd':
        s = typeof a === 'number' && Number.isInteger(a) ? String(a) : bad();
        if (flags.includes('+') && typeof a === 'number' && a >= 0) s = `+${s}`;
        break;
      case 't':
        s = typeof a === 'boolean' ? String(a) : bad();
        break;
      case 'f':
      case 'F':
        s = typeof a === 'number' ? a.toFixed(prec ?? 6) : bad();
        break;
      case 'e':
        s = typeof a === 'number' ? a.toExponential(prec ?? 6).replace(/e([+-])(\d)$/, 'e$10$2') : bad();
        break;
      case 'g':
        s = typeof a === 'number' ? String(prec !== undefined ? Number(a.toPrecision(prec)) : a) : bad();
        break;
      case 'x':
      case 'X': {
        const hex = typeof a === 'number' && Number.isInteger(a) ? a.toString(16) : typeof a === 'string' ? Buffer.from(a).toString('hex') : undefined;
        s = hex === undefined ? bad() : verb === 'X' ? hex.toUpperCase() : hex;
        break;
      }
      case 'o':
        s = typeof a === 'number' && Number.isInteger(a) ? a.toString(8) : bad();
        break;
      case 'c':
        s = typeof a === 'number' ? String.fromCodePoint(a) : bad();
        break;
      default:
        s = `%!${verb}(${goTypeName(a)}=${goPrint(a)})`;
    }
    if (width !== undefined && s.length < width) {
      if (flags.includes('-')) s = s.padEnd(width);
      else if (flags.includes('0') && /^[-+]?\d/.test(s) && 'dfFeEgxXo'.includes(verb)) {
        const sign = /^[-+]/.test(s) ? s[0]! : '';
        s = sign + s.slice(sign.length).padStart(width - sign.length, '0');
      } else s = s.padStart(width);
    }
    return s;
  });
  const extra = args.slice(argi);
  return extra.length > 0 ? `${out}%!(EXTRA ${extra.map((a) => `${goTypeName(a)}=${goPrint(a)}`).join(', ')})` : out;
}

/** strings.Title: the first letter of each word upper-cased. */
function title(s: string): string {
  return s.replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_, sep: string, ch: string) => sep + ch.toUpperCase());
}

function asString(v: unknown): string {
  if (typeof v !== 'string') throw new FuncError(`wrong type for value; expected string; got ${goTypeName(v)}`);
  return v;
}

export const FUNCS: ReadonlyMap<string, GoFunc> = new Map<string, GoFunc>([
  ['and', (...a) => (arity('and', a, 1, Infinity), a.find((x) => !truth(x)) ?? a[a.length - 1])],
  ['or', (...a) => (arity('or', a, 1, Infinity), a.find((x) => truth(x)) ?? a[a.length - 1])],
  ['not', (...a) => (arity('not', a, 1), !truth(a[0]))],
  ['len', (...a) => (arity('len', a, 1), lengthOf(a[0]))],
  ['index', (...a) => (arity('index', a, 1, Infinity), indexOf(a[0], ...a.slice(1)))],
  ['slice', (...a) => {
    arity('slice', a, 1, 3);
    const [v, i = 0, j] = a as [unknown, number | undefined, number | undefined];
    if (typeof v !== 'string' && !Array.isArray(v)) throw new FuncError(`can't slice item of type ${goTypeName(v)}`);
    const end = j ?? v.length;
    if (i < 0 || end > v.length || i > end) throw new FuncError(`index out of range: ${i > end ? i : end}`);
    return v.slice(i, end);
  }],
  ['eq', (...a) => (arity('eq', a, 2, Infinity), a.slice(1).some((b) => compareEq(a[0], b)))],
  ['ne', (...a) => (arity('ne', a, 2), !compareEq(a[0], a[1]))],
  ['lt', (...a) => (arity('lt', a, 2), compareLess(a[0], a[1]))],
  ['le', (...a) => (arity('le', a, 2), compareLess(a[0], a[1]) || compareEq(a[0], a[1]))],
  ['gt', (...a) => (arity('gt', a, 2), !compareLess(a[0], a[1]) && !compareEq(a[0], a[1]))],
  ['ge', (...a) => (arity('ge', a, 2), !compareLess(a[0], a[1]))],
  ['print', (...a) => sprint(a)],
  ['println', (...a) => `${a.map((x) => goPrint(x)).join(' ')}\n`],
  ['printf', (...a) => (arity('printf', a, 1, Infinity), sprintf(asString(a[0]), a.slice(1)))],
  ['html', (...a) => sprint(a).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c]!)],
  ['urlquery', (...a) => encodeURIComponent(sprint(a)).replace(/%20/g, '+')],
  // docker's own (cli/templates): json without HTML escaping, strings helpers.
  ['json', (...a) => (arity('json', a, 1), JSON.stringify(a[0] === undefined ? null : a[0]))],
  ['split', (...a) => (arity('split', a, 2), asString(a[0]).split(asString(a[1])))],
  ['join', (...a) => {
    arity('join', a, 2);
    if (!Array.isArray(a[0])) throw new FuncError(`wrong type for value; expected []string; got ${goTypeName(a[0])}`);
    return a[0].map((x) => goPrint(x)).join(asString(a[1]));
  }],
  ['title', (...a) => (arity('title', a, 1), title(asString(a[0])))],
  ['lower', (...a) => (arity('lower', a, 1), asString(a[0]).toLowerCase())],
  ['upper', (...a) => (arity('upper', a, 1), asString(a[0]).toUpperCase())],
  ['pad', (...a) => (arity('pad', a, 3), `${' '.repeat(Number(a[1]))}${asString(a[0])}${' '.repeat(Number(a[2]))}`)],
  ['truncate', (...a) => (arity('truncate', a, 2), [...asString(a[0])].slice(0, Number(a[1])).join(''))],
]);
