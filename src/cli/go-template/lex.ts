/** Splits a template into text and the tokens of each {{action}}, with Go's trim markers and comments. */
export type TokenKind = 'field' | 'var' | 'dot' | 'ident' | 'string' | 'number' | 'lparen' | 'rparen' | 'pipe' | 'declare' | 'assign' | 'comma';

export interface Token {
  kind: TokenKind;
  pos: number;
  end: number;
  /** field: the names after the dots; var: the variable then its fields. */
  text: string;
  value?: string | number;
  spaceBefore: boolean;
}

export interface TextItem {
  kind: 'text';
  text: string;
}

export interface ActionItem {
  kind: 'action';
  pos: number;
  tokens: Token[];
}

export class TemplateSyntaxError extends Error {}

export function lineOf(src: string, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos && i < src.length; i++) if (src[i] === '\n') line++;
  return line;
}

export function syntaxError(src: string, pos: number, msg: string): TemplateSyntaxError {
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

export function lex(src: string): Array<TextItem | ActionItem> {
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
