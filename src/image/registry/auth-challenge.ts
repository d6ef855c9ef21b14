/**
 * `WWW-Authenticate` headers (RFC 7235): one or more challenges, each a scheme followed by
 * either a token68 or comma-separated `name=value` params, values as tokens or quoted
 * strings with backslash escapes. Parsing is lenient, as a client's must be: registries in
 * the wild send unquoted URLs and stray commas, and a header that cannot be fully
 * understood still yields the challenges before the damage.
 */

export interface AuthChallenge {
  /** Lower-cased: schemes compare case-insensitively. */
  scheme: string;
  /** Lower-cased names (they compare case-insensitively too); values as sent, unescaped. */
  params: Record<string, string>;
  /** The token68 form (`Negotiate abc==`), which has no params. */
  token68?: string;
}

/** tchar of RFC 7230: what a scheme or a param name is made of. */
const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68_CHAR = /[-._~+/0-9A-Za-z]/;

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t';
}

class Scanner {
  pos = 0;
  constructor(readonly text: string) {}

  get done(): boolean {
    return this.pos >= this.text.length;
  }
  peek(offset = 0): string | undefined {
    return this.text[this.pos + offset];
  }
  skipSpaces(): void {
    while (isSpace(this.peek())) this.pos++;
  }
  /** Spaces and the empty list elements RFC 7230 #rule allows (`a, , b`). */
  skipSeparators(): void {
    while (isSpace(this.peek()) || this.peek() === ',') this.pos++;
  }
  token(): string {
    const start = this.pos;
    while (!this.done && TOKEN_CHAR.test(this.peek()!)) this.pos++;
    return this.text.slice(start, this.pos);
  }
  /** A token68 (letters, digits, -._~+/ then `=` padding), if one ends the element here. */
  token68(): string | undefined {
    let end = this.pos;
    while (end < this.text.length && TOKEN68_CHAR.test(this.text[end]!)) end++;
    if (end === this.pos) return undefined;
    while (this.text[end] === '=') end++;
    let after = end;
    while (isSpace(this.text[after])) after++;
    if (after < this.text.length && this.text[after] !== ',') return undefined;
    const value = this.text.slice(this.pos, end);
    this.pos = after;
    return value;
  }
  /** After the opening quote; an unterminated string runs to the end of the header. */
  quoted(): string {
    let value = '';
    while (!this.done) {
      const c = this.text[this.pos++]!;
      if (c === '"') return value;
      if (c === '\\' && !this.done) value += this.text[this.pos++]!;
      else value += c;
    }
    return value;
  }
  /** An unquoted value: a token by the RFC, but realms like `https://x/token` arrive unquoted too. */
  bare(): string {
    const start = this.pos;
    while (!this.done && this.peek() !== ',' && !isSpace(this.peek())) this.pos++;
    return this.text.slice(start, this.pos);
  }
}

/**
 * Reads `name BWS "=" BWS value` at the scanner if that is what is there, leaving the
 * scanner untouched otherwise (the word is then the next challenge's scheme).
 */
function readParam(s: Scanner): { name: string; value: string } | undefined {
  const start = s.pos;
  const name = s.token();
  if (name === '') return undefined;
  s.skipSpaces();
  if (s.peek() !== '=') {
    s.pos = start;
    return undefined;
  }
  s.pos++;
  s.skipSpaces();
  const next = s.peek();
  // `abc=` or `abc==` with nothing after is a token68 with its padding, not a param.
  if (next === undefined || next === ',' || next === '=') {
    s.pos = start;
    return undefined;
  }
  if (next !== '"') return { name: name.toLowerCase(), value: s.bare() };
  s.pos++;
  return { name: name.toLowerCase(), value: s.quoted() };
}

export function parseChallenges(header: string): AuthChallenge[] {
  const s = new Scanner(header);
  const challenges: AuthChallenge[] = [];
  let current: AuthChallenge | undefined;
  const addParam = (p: { name: string; value: string }): void => {
    // A name may appear once per challenge (RFC 7235 §2.1); the first one counts.
    if (current && !Object.hasOwn(current.params, p.name)) current.params[p.name] = p.value;
  };

  for (s.skipSeparators(); !s.done; s.skipSeparators()) {
    // Inside a challenge, `name=value` continues it; any other word starts the next one.
    const param = current ? readParam(s) : undefined;
    if (param) {
      addParam(param);
      continue;
    }
    const scheme = s.token();
    if (scheme === '') {
      // Not a token where one must be: skip to the next element.
      while (!s.done && s.peek() !== ',') s.pos++;
      continue;
    }
    // Null prototype: a param called `__proto__` or `constructor` is data, not a lookup hazard.
    current = { scheme: scheme.toLowerCase(), params: Object.create(null) as Record<string, string> };
    challenges.push(current);
    if (!isSpace(s.peek())) continue;
    s.skipSpaces();
    const first = readParam(s);
    if (first) {
      addParam(first);
      continue;
    }
    const token68 = s.token68();
    if (token68 !== undefined) current.token68 = token68;
  }
  return challenges;
}
