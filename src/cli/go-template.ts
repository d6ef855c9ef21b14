/**
 * The part of Go's text/template that docker's `--format` flags use, with docker's extra
 * functions (json, join, split, upper, lower, title, pad, truncate): fields and chains,
 * variables, pipelines, parentheses, if/else if/else, range (with else, $i/$e, break and
 * continue), with, comments and trim markers. Errors read as Go's do
 * ("template: :1:2: executing \"\" at <.Nope>: map has no entry for key \"Nope\"") so
 * scripts written against docker see the same messages.
 *
 * Values are plain JS data: objects are Go maps, unless made with goStruct(), which
 * refuses unknown fields as a Go struct does and may carry methods (`.Label "k"`).
 */
import { InvalidArgumentError } from '../errors.js';

const GO_TYPE: unique symbol = Symbol('goType');

/** Marks an object as a Go struct: an unknown field is an error naming typeName, as in Go. */
export function goStruct<T extends object>(typeName: string, fields: T): T {
  Object.defineProperty(fields, GO_TYPE, { value: typeName, enumerable: false });
  return fields;
}

function structType(v: unknown): string | undefined {
  return typeof v === 'object' && v !== null ? (v as { [GO_TYPE]?: string })[GO_TYPE] : undefined;
}

export interface TemplateOptions {
  /** Go's missingkey=error, as `docker inspect` runs templates over JSON; else a missing key prints "<no value>". */
  missingKeyError?: boolean;
}

// ---- lexer ------------------------------------------------------------------

type TokenKind = 'field' | 'var' | 'dot' | 'ident' | 'string' | 'number' | 'lparen' | 'rparen' | 'pipe' | 'declare' | 'assign' | 'comma';

interface Token {
  kind: TokenKind;
  pos: number;
  end: number;
  /** field: the names after the dots; var: the variable then its fields. */
  text: string;
  value?: string | number;
  spaceBefore: boolean;
}

interface TextItem {
  kind: 'text';
  text: string;
}

interface ActionItem {
  kind: 'action';
  pos: number;
  tokens: Token[];
}

class TemplateSyntaxError extends Error {}

function lineOf(src: string, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos && i < src.length; i++) if (src[i] === '\n') line++;
  return line;
}

function syntaxError(src: string, pos: number, msg: string): TemplateSyntaxError {
  return new TemplateSyntaxError(`template: :${lineOf(src, pos)}: ${msg}`);
}

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlnum = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_]/.test(c);

function unquote(src: string, start: number, raw: string): string {
  try {
    return JSON.parse(raw.replace(/\\'/g, "'").replace(/\\a/g, '\\u0007').replace(/\\v/g, '\\u000b').replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1')) as string;
  } catch {
    throw syntaxError(src, start, `bad quoted string ${raw}`);
  }
}

function lexAction(src: string, start: number): { tokens: Token[]; end: number; trimRight: boolean } {
  const tokens: Token[] = [];
  let i = start;
  let spaceBefore = true;
  const push = (kind: TokenKind, pos: number, end: number, value?: string | number): void => {
    tokens.push({ kind, pos, end, text: src.slice(pos, end), spaceBefore, ...(value !== undefined ? { value } : {}) });
    spaceBefore = false;
  };
  for (;;) {
    if (i >= src.length) throw syntaxError(src, start, 'unclosed action');
    const c = src[i]!;
    if (src.startsWith(' -}}', i) || src.startsWith('\t-}}', i) || src.startsWith('\n-}}', i)) return { tokens, end: i + 4, trimRight: true };
    if (src.startsWith('}}', i)) return { tokens, end: i + 2, trimRight: false };
    if (isSpace(c)) {
      i++;
      spaceBefore = true;
      continue;
    }
    const s = i;
    if (c === '"') {
      i++;
      while (i < src.length && src[i] !== '"') {
        if (src[i] === '\n') throw syntaxError(src, s, 'unterminated quoted string');
        i += src[i] === '\\' ? 2 : 1;
      }
      if (i >= src.length) throw syntaxError(src, s, 'unterminated quoted string');
      i++;
      push('string', s, i, unquote(src, s, src.slice(s, i)));
    } else if (c === '`') {
      const close = src.indexOf('`', i + 1);
      if (close < 0) throw syntaxError(src, s, 'unterminated raw quoted string');
      i = close + 1;
      push('string', s, i, src.slice(s + 1, close));
    } else if (c === '.' && !/[0-9]/.test(src[i + 1] ?? '')) {
      i++;
      if (!isAlnum(src[i])) {
        push('dot', s, i);
        continue;
      }
      while (src[i] === '.' || isAlnum(src[i])) i++;
      push('field', s, i);
    } else if (c === '$') {
      i++;
      while (isAlnum(src[i])) i++;
      while (src[i] === '.' && isAlnum(src[i + 1])) {
        i++;
        while (isAlnum(src[i])) i++;
      }
      push('var', s, i);
    } else if (/[0-9.]/.test(c) || ((c === '-' || c === '+') && /[0-9.]/.test(src[i + 1] ?? ''))) {
      i++;
      while (/[0-9A-Za-z._]/.test(src[i] ?? '') || ((src[i] === '-' || src[i] === '+') && /[eEpP]/.test(src[i - 1] ?? ''))) i++;
      const text = src.slice(s, i).replace(/_/g, '');
      const n = /^[+-]?0[xob]/i.test(text) ? Number(text.replace(/^([+-]?)0([xob])/i, '$10$2')) : Number(text);
      if (Number.isNaN(n)) throw syntaxError(src, s, `bad number syntax: "${text}"`);
      push('number', s, i, n);
    } else if (c === "'") {
      const close = src.indexOf("'", i + 1);
      if (close < 0) throw syntaxError(src, s, 'unterminated character constant');
      const ch = unquote(src, s, `"${src.slice(s + 1, close).replace(/"/g, '\\"')}"`);
      i = close + 1;
      push('number', s, i, ch.codePointAt(0) ?? 0);
    } else if (isAlnum(c)) {
      while (isAlnum(src[i])) i++;
      push('ident', s, i);
    } else if (c === '(') push('lparen', s, ++i);
    else if (c === ')') push('rparen', s, ++i);
    else if (c === '|') push('pipe', s, ++i);
    else if (c === ',') push('comma', s, ++i);
    else if (src.startsWith(':=', i)) push('declare', s, (i += 2));
    else if (c === '=') push('assign', s, ++i);
    else throw syntaxError(src, s, `unexpected "${c}" in command`);
  }
}

function lex(src: string): Array<TextItem | ActionItem> {
  const items: Array<TextItem | ActionItem> = [];
  let i = 0;
  let trimNext = false;
  for (;;) {
    const open = src.indexOf('{{', i);
    let text = src.slice(i, open < 0 ? src.length : open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '');
    if (open < 0) {
      if (text) items.push({ kind: 'text', text });
      return items;
    }
    let inner = open + 2;
    if (src.startsWith('- ', inner) || src.startsWith('-\t', inner) || src.startsWith('-\n', inner)) {
      text = text.replace(/[ \t\r\n]+$/, '');
      inner += 1;
    }
    if (text) items.push({ kind: 'text', text });
    const commentStart = src.slice(inner).match(/^\s*\/\*/);
    if (commentStart) {
      const close = src.indexOf('*/', inner);
      if (close < 0) throw syntaxError(src, open, 'unclosed comment');
      const after = src.slice(close + 2).match(/^(\s*-\}\}|\}\})/);
      if (!after) throw syntaxError(src, open, 'comment ends before closing delimiter');
      trimNext = after[1]!.includes('-');
      i = close + 2 + after[1]!.length;
      continue;
    }
    const { tokens, end, trimRight } = lexAction(src, inner);
    items.push({ kind: 'action', pos: open, tokens });
    trimNext = trimRight;
    i = end;
  }
}

// ---- parser -----------------------------------------------------------------

type Operand =
  | { t: 'field'; pos: number; src: string; path: string[] }
  | { t: 'var'; pos: number; src: string; name: string; path: string[] }
  | { t: 'dot'; pos: number; src: string }
  | { t: 'ident'; pos: number; src: string; name: string }
  | { t: 'lit'; pos: number; src: string; value: unknown }
  | { t: 'paren'; pos: number; src: string; pipe: Pipe; path: string[] };

interface Command {
  pos: number;
  src: string;
  args: Operand[];
}

interface Pipe {
  pos: number;
  decl: string[];
  assign: boolean;
  cmds: Command[];
}

type Node =
  | { t: 'text'; text: string }
  | { t: 'action'; pipe: Pipe }
  | ControlNode
  | { t: 'break' | 'continue'; pos: number };

interface ControlNode {
  t: 'if' | 'with' | 'range';
  pipe: Pipe;
  list: Node[];
  elseList: Node[] | null;
}

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'break', 'continue', 'define', 'template', 'block']);

class Parser {
  private i = 0;
  private rangeDepth = 0;

  constructor(
    private readonly src: string,
    private readonly items: Array<TextItem | ActionItem>,
    private readonly funcs: ReadonlyMap<string, GoFunc>,
  ) {}

  parse(): Node[] {
    const { list, end } = this.list();
    if (end) throw syntaxError(this.src, end.pos, `unexpected {{${end.word}}}`);
    return list;
  }

  /** Nodes up to an {{end}} or {{else}}, which it returns without consuming the rest of that action. */
  private list(): { list: Node[]; end?: { word: 'end' | 'else'; item: ActionItem; pos: number } } {
    const list: Node[] = [];
    while (this.i < this.items.length) {
      const item = this.items[this.i++]!;
      if (item.kind === 'text') {
        list.push({ t: 'text', text: item.text });
        continue;
      }
      const first = item.tokens[0];
      if (!first) throw syntaxError(this.src, item.pos, 'missing value for command');
      const word = first.kind === 'ident' && KEYWORDS.has(first.text) ? first.text : undefined;
      if (word === 'end' || word === 'else') {
        if (word === 'end' && item.tokens.length > 1) throw syntaxError(this.src, item.pos, 'unexpected token in end');
        return { list, end: { word, item, pos: item.pos } };
      }
      if (word === 'if' || word === 'with' || word === 'range') list.push(this.control(word, item, 1));
      else if (word === 'break' || word === 'continue') {
        if (this.rangeDepth === 0) throw syntaxError(this.src, item.pos, `{{${word}}} outside {{range}}`);
        list.push({ t: word, pos: item.pos });
      } else if (word !== undefined) throw syntaxError(this.src, item.pos, `{{${word}}} is not supported`);
      else list.push({ t: 'action', pipe: this.pipeline(item.tokens, 0, item.tokens.length, item.pos, true) });
    }
    return { list };
  }

  private control(word: 'if' | 'with' | 'range', item: ActionItem, from: number): Node {
    if (from >= item.tokens.length) throw syntaxError(this.src, item.pos, `missing value for ${word}`);
    const pipe = this.pipeline(item.tokens, from, item.tokens.length, item.pos, true, word === 'range');
    if (word === 'range') this.rangeDepth++;
    const body = this.list();
    if (word === 'range') this.rangeDepth--;
    if (!body.end) throw syntaxError(this.src, this.src.length, 'unexpected EOF');
    let elseList: Node[] | null = null;
    if (body.end.word === 'else') {
      const toks = body.end.item.tokens;
      const chained = toks[1]?.kind === 'ident' && (toks[1].text === 'if' || toks[1].text === 'with') ? toks[1].text : undefined;
      if (chained) {
        // {{else if x}} is an if inside the else branch that shares this block's {{end}}.
        elseList = [this.control(chained as 'if' | 'with', body.end.item, 2)];
      } else {
        if (toks.length > 1) throw syntaxError(this.src, body.end.pos, 'unexpected token in else');
        const rest = this.list();
        if (!rest.end || rest.end.word !== 'end') throw syntaxError(this.src, rest.end?.pos ?? this.src.length, rest.end ? 'expected end; found {{else}}' : 'unexpected EOF');
        elseList = rest.list;
      }
    }
    return { t: word, pipe, list: body.list, elseList };
  }

  private pipeline(toks: Token[], from: number, to: number, pos: number, allowDecl: boolean, rangeDecl = false): Pipe {
    const decl: string[] = [];
    let assign = false;
    let i = from;
    if (allowDecl && toks[i]?.kind === 'var' && !toks[i]!.text.includes('.')) {
      const names: string[] = [toks[i]!.text];
      let j = i + 1;
      if (rangeDecl && toks[j]?.kind === 'comma' && toks[j + 1]?.kind === 'var') {
        names.push(toks[j + 1]!.text);
        j += 2;
      }
      if (toks[j]?.kind === 'declare' || toks[j]?.kind === 'assign') {
        assign = toks[j]!.kind === 'assign';
        decl.push(...names);
        i = j + 1;
      }
    }
    const cmds: Command[] = [];
    let start = i;
    let depth = 0;
    for (let k = i; k <= to; k++) {
      const tk = toks[k];
      if (k < to && tk!.kind === 'lparen') depth++;
      if (k < to && tk!.kind === 'rparen') depth--;
      if (k === to || (tk!.kind === 'pipe' && depth === 0)) {
        if (start === k) throw syntaxError(this.src, toks[k - 1]?.pos ?? pos, 'missing value for command');
        cmds.push(this.command(toks, start, k));
        start = k + 1;
      }
    }
    if (cmds.length === 0) throw syntaxError(this.src, pos, 'missing value for command');
    return { pos: toks[from]?.pos ?? pos, decl, assign, cmds };
  }

  private command(toks: Token[], from: number, to: number): Command {
    const args: Operand[] = [];
    let i = from;
    while (i < to) {
      const tk = toks[i]!;
      if (tk.kind === 'lparen') {
        let depth = 1;
        let j = i + 1;
        while (j < to && depth > 0) {
          if (toks[j]!.kind === 'lparen') depth++;
          if (toks[j]!.kind === 'rparen') depth--;
          j++;
        }
        if (depth !== 0) throw syntaxError(this.src, tk.pos, 'unclosed left paren');
        const pipe = this.pipeline(toks, i + 1, j - 1, tk.pos, true);
        let path: string[] = [];
        let end = toks[j - 1]!.end;
        if (toks[j]?.kind === 'field' && !toks[j]!.spaceBefore) {
          path = toks[j]!.text.slice(1).split('.');
          end = toks[j]!.end;
          j++;
        }
        args.push({ t: 'paren', pos: tk.pos, src: this.src.slice(tk.pos, end), pipe, path });
        i = j;
        continue;
      }
      args.push(this.operand(tk));
      i++;
    }
    const first = args[0]!;
    if (first.t === 'lit' && args.length > 1) throw syntaxError(this.src, first.pos, `can't give argument to non-function ${first.src}`);
    return { pos: first.pos, src: this.src.slice(toks[from]!.pos, toks[to - 1]!.end), args };
  }

  private operand(tk: Token): Operand {
    const base = { pos: tk.pos, src: tk.text };
    switch (tk.kind) {
      case 'field':
        return { t: 'field', ...base, path: tk.text.slice(1).split('.') };
      case 'var': {
        const [name, ...path] = tk.text.split('.');
        return { t: 'var', ...base, name: name!, path };
      }
      case 'dot':
        return { t: 'dot', ...base };
      case 'string':
      case 'number':
        return { t: 'lit', ...base, value: tk.value };
      case 'ident':
        if (tk.text === 'true' || tk.text === 'false') return { t: 'lit', ...base, value: tk.text === 'true' };
        if (tk.text === 'nil') return { t: 'lit', ...base, value: null };
        if (KEYWORDS.has(tk.text)) throw syntaxError(this.src, tk.pos, `unexpected <${tk.text}> in command`);
        if (!this.funcs.has(tk.text)) throw syntaxError(this.src, tk.pos, `function "${tk.text}" not defined`);
        return { t: 'ident', ...base, name: tk.text };
      default:
        throw syntaxError(this.src, tk.pos, `unexpected "${tk.text}" in operand`);
    }
  }
}

// ---- values -----------------------------------------------------------------

/** Go's fmt %v of a value that came from JSON or a struct. */
export function goPrint(v: unknown): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'function') return '<func>';
  if (Array.isArray(v)) return `[${v.map((x) => goPrint(x)).join(' ')}]`;
  const obj = v as Record<string, unknown>;
  if (structType(obj) !== undefined) return `{${Object.values(obj).filter((x) => typeof x !== 'function').map((x) => goPrint(x)).join(' ')}}`;
  return `map[${Object.keys(obj).sort().map((k) => `${k}:${goPrint(obj[k])}`).join(' ')}]`;
}

/** Go's truth: false, 0, nil and empty strings, slices and maps are false; structs are true. */
function truth(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object' && structType(v) === undefined) return Object.keys(v).length > 0;
  return true;
}

function goTypeName(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  return structType(v) ?? 'map[string]interface {}';
}

// ---- functions --------------------------------------------------------------

class FuncError extends Error {}

type GoFunc = (...args: unknown[]) => unknown;

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

function asString(name: string, v: unknown): string {
  if (typeof v !== 'string') throw new FuncError(`wrong type for value; expected string; got ${goTypeName(v)}`);
  return v;
}

const FUNCS: ReadonlyMap<string, GoFunc> = new Map<string, GoFunc>([
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
  ['printf', (...a) => (arity('printf', a, 1, Infinity), sprintf(asString('printf', a[0]), a.slice(1)))],
  ['html', (...a) => sprint(a).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c]!)],
  ['urlquery', (...a) => encodeURIComponent(sprint(a)).replace(/%20/g, '+')],
  // docker's own (cli/templates): json without HTML escaping, strings helpers.
  ['json', (...a) => (arity('json', a, 1), JSON.stringify(a[0] === undefined ? null : a[0]))],
  ['split', (...a) => (arity('split', a, 2), asString('split', a[0]).split(asString('split', a[1])))],
  ['join', (...a) => {
    arity('join', a, 2);
    if (!Array.isArray(a[0])) throw new FuncError(`wrong type for value; expected []string; got ${goTypeName(a[0])}`);
    return a[0].map((x) => goPrint(x)).join(asString('join', a[1]));
  }],
  ['title', (...a) => (arity('title', a, 1), title(asString('title', a[0])))],
  ['lower', (...a) => (arity('lower', a, 1), asString('lower', a[0]).toLowerCase())],
  ['upper', (...a) => (arity('upper', a, 1), asString('upper', a[0]).toUpperCase())],
  ['pad', (...a) => (arity('pad', a, 3), `${' '.repeat(Number(a[1]))}${asString('pad', a[0])}${' '.repeat(Number(a[2]))}`)],
  ['truncate', (...a) => (arity('truncate', a, 2), [...asString('truncate', a[0])].slice(0, Number(a[1])).join(''))],
]);

// ---- execution --------------------------------------------------------------

class ExecError extends Error {}
class BreakSignal {}
class ContinueSignal {}

/** "Empty" marker for a command with no piped-in value. */
const NONE = Symbol('none');

class Exec {
  private vars: Array<[string, unknown]>;
  readonly out: string[] = [];

  constructor(
    private readonly src: string,
    root: unknown,
    private readonly opts: TemplateOptions,
  ) {
    this.vars = [['$', root]];
  }

  private fail(node: { pos: number; src: string }, msg: string): never {
    const before = this.src.slice(0, node.pos);
    const line = lineOf(this.src, node.pos);
    const col = node.pos - (before.lastIndexOf('\n') + 1);
    throw new ExecError(`template: :${line}:${col}: executing "" at <${node.src}>: ${msg}`);
  }

  walk(list: Node[], dot: unknown): void {
    for (const n of list) this.node(n, dot);
  }

  private scoped(fn: () => void): void {
    const mark = this.vars.length;
    try {
      fn();
    } finally {
      this.vars.length = mark;
    }
  }

  private node(n: Node, dot: unknown): void {
    switch (n.t) {
      case 'text':
        this.out.push(n.text);
        return;
      case 'action': {
        const v = this.pipe(n.pipe, dot);
        if (n.pipe.decl.length === 0) this.out.push(goPrint(v));
        return;
      }
      case 'if':
      case 'with':
        this.scoped(() => {
          const v = this.pipe(n.pipe, dot);
          if (truth(v)) this.walk(n.list, n.t === 'with' ? v : dot);
          else if (n.elseList) this.walk(n.elseList, dot);
        });
        return;
      case 'range':
        this.range(n, dot);
        return;
      case 'break':
        throw new BreakSignal();
      case 'continue':
        throw new ContinueSignal();
    }
  }

  private range(n: ControlNode, dot: unknown): void {
    const v = this.pipe({ ...n.pipe, decl: [] }, dot);
    let entries: Array<[unknown, unknown]>;
    if (Array.isArray(v)) entries = v.map((x, i) => [i, x]);
    else if (typeof v === 'number' && Number.isInteger(v)) entries = Array.from({ length: Math.max(0, v) }, (_, i) => [i, i]);
    else if (v === null || v === undefined) entries = [];
    else if (typeof v === 'object' && structType(v) === undefined) {
      const obj = v as Record<string, unknown>;
      entries = Object.keys(obj).sort().map((k) => [k, obj[k]]);
    } else this.fail({ pos: n.pipe.pos, src: n.pipe.cmds[0]!.src }, `range can't iterate over ${goPrint(v)}`);
    if (entries.length === 0) {
      if (n.elseList) this.scoped(() => this.walk(n.elseList!, dot));
      return;
    }
    for (const [key, elem] of entries) {
      let stop = false;
      this.scoped(() => {
        const [a, b] = n.pipe.decl;
        if (a !== undefined && b !== undefined) this.vars.push([a, key], [b, elem]);
        else if (a !== undefined) this.vars.push([a, elem]);
        try {
          this.walk(n.list, elem);
        } catch (err) {
          if (err instanceof BreakSignal) stop = true;
          else if (!(err instanceof ContinueSignal)) throw err;
        }
      });
      if (stop) break;
    }
  }

  private pipe(p: Pipe, dot: unknown): unknown {
    let v: unknown = NONE;
    for (const c of p.cmds) v = this.command(c, dot, v);
    if (p.decl.length > 0) {
      const name = p.decl[0]!;
      if (p.assign) {
        const slot = this.findVar(name, { pos: p.pos, src: name });
        slot[1] = v;
      } else this.vars.push([name, v]);
    }
    return v;
  }

  private findVar(name: string, node: { pos: number; src: string }): [string, unknown] {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]![0] === name) return this.vars[i]!;
    this.fail(node, `undefined variable: ${name}`);
  }

  private command(c: Command, dot: unknown, piped: unknown): unknown {
    const [first, ...rest] = c.args as [Operand, ...Operand[]];
    const extra = (): unknown[] => [...rest.map((a) => this.arg(a, dot)), ...(piped === NONE ? [] : [piped])];
    switch (first.t) {
      case 'ident': {
        const fn = FUNCS.get(first.name)!;
        const args = extra();
        try {
          return fn(...args);
        } catch (err) {
          if (err instanceof FuncError) this.fail(c, err.message.startsWith('wrong number of args') ? err.message : `error calling ${first.name}: ${err.message}`);
          throw err;
        }
      }
      case 'field':
        return this.chain(dot, first.path, first, () => extra());
      case 'var': {
        const base = this.findVar(first.name, first)[1];
        if (first.path.length > 0) return this.chain(base, first.path, first, () => extra());
        this.noArgs(first, rest.length > 0 || piped !== NONE);
        return base;
      }
      case 'paren': {
        const base = this.pipe(first.pipe, dot);
        if (first.path.length > 0) return this.chain(base, first.path, first, () => extra());
        this.noArgs(first, rest.length > 0 || piped !== NONE);
        return base;
      }
      default:
        this.noArgs(first, rest.length > 0 || piped !== NONE);
        return first.t === 'dot' ? dot : first.value;
    }
  }

  private noArgs(node: { pos: number; src: string }, has: boolean): void {
    if (has) this.fail(node, `can't give argument to non-function ${node.src}`);
  }

  private arg(a: Operand, dot: unknown): unknown {
    switch (a.t) {
      case 'dot':
        return dot;
      case 'lit':
        return a.value;
      case 'field':
        return this.chain(dot, a.path, a, () => []);
      case 'var': {
        const base = this.findVar(a.name, a)[1];
        return a.path.length > 0 ? this.chain(base, a.path, a, () => []) : base;
      }
      case 'paren': {
        const base = this.pipe(a.pipe, dot);
        return a.path.length > 0 ? this.chain(base, a.path, a, () => []) : base;
      }
      case 'ident': {
        try {
          return FUNCS.get(a.name)!();
        } catch (err) {
          if (err instanceof FuncError) this.fail(a, err.message);
          throw err;
        }
      }
    }
  }

  /** Follows .A.B.C from base; the last step may be a method, given the command's arguments. */
  private chain(base: unknown, path: string[], node: { pos: number; src: string }, lazyArgs: () => unknown[]): unknown {
    let evaluated: unknown[] | undefined;
    const args = (): unknown[] => (evaluated ??= lazyArgs());
    let v = base;
    for (let i = 0; i < path.length; i++) {
      const name = path[i]!;
      const last = i === path.length - 1;
      if (v === null || v === undefined) this.fail(node, `nil pointer evaluating interface {}.${name}`);
      if (typeof v !== 'object') this.fail(node, `can't evaluate field ${name} in type ${goTypeName(v)}`);
      const type = structType(v);
      const obj = v as Record<string, unknown>;
      if (Array.isArray(v)) this.fail(node, `can't evaluate field ${name} in type ${goTypeName(v)}`);
      if (!Object.prototype.hasOwnProperty.call(obj, name)) {
        if (type !== undefined) this.fail(node, `can't evaluate field ${name} in type ${type}`);
        if (this.opts.missingKeyError) this.fail(node, `map has no entry for key "${name}"`);
        v = undefined;
        continue;
      }
      const next = obj[name];
      if (typeof next === 'function') {
        const given = last ? args() : [];
        try {
          v = (next as GoFunc).apply(obj, given);
        } catch (err) {
          if (err instanceof FuncError) this.fail(node, `error calling ${name}: ${err.message}`);
          throw err;
        }
        continue;
      }
      if (last && args().length > 0) this.fail(node, `${name} has arguments but cannot be invoked as function`);
      v = next;
    }
    if (path.length === 0 && args().length > 0) this.noArgs(node, true);
    return v;
  }
}

/** A parsed template; parse once, execute per object. */
export class GoTemplate {
  private constructor(
    private readonly src: string,
    private readonly tree: Node[],
    private readonly errorPrefix: string,
  ) {}

  /**
   * Parses a template; `\t` and `\n` written literally (as in a shell argument) are a tab and
   * a newline, as docker reads them. Errors start with errorPrefix, as the docker command's do.
   */
  static parse(format: string, errorPrefix = 'template parsing error'): GoTemplate {
    const src = format.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
    try {
      return new GoTemplate(src, new Parser(src, lex(src), FUNCS).parse(), errorPrefix);
    } catch (err) {
      if (err instanceof TemplateSyntaxError) throw new InvalidArgumentError(`${errorPrefix}: ${err.message}`);
      throw err;
    }
  }

  execute(data: unknown, opts: TemplateOptions = {}): string {
    const exec = new Exec(this.src, data, opts);
    try {
      exec.walk(this.tree, data);
    } catch (err) {
      if (err instanceof ExecError) throw new InvalidArgumentError(`${this.errorPrefix}: ${err.message}`);
      throw err;
    }
    return exec.out.join('');
  }
}
