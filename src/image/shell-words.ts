/**
 * Dockerfile word handling, as docker applies it to `--change` (and, later, to
 * Dockerfile instructions): splitting a line into words with quotes kept, then
 * removing quotes and expanding $VAR, ${VAR}, ${VAR:-default}, ${VAR:+alt}.
 */
import { InvalidArgumentError } from '../errors.js';

/** Splits on unquoted whitespace; quotes and backslashes stay in the words (docker's parseWords). */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === undefined && /\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    word += c;
    if (c === '\\' && quote !== "'" && i + 1 < text.length) {
      word += text[++i];
      continue;
    }
    if (quote === undefined && (c === '"' || c === "'")) quote = c;
    else if (c === quote) quote = undefined;
  }
  if (quote !== undefined) throw new InvalidArgumentError(`unterminated quote in ${JSON.stringify(text)}`);
  if (inWord) words.push(word);
  return words;
}

/** The value of name in a K=V environment list; the last entry wins, as in a process environment. */
export function envValue(env: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  for (const entry of env) if (entry.startsWith(`${name}=`)) value = entry.slice(name.length + 1);
  return value;
}

/** Removes quotes and escapes from word and expands variables from env (docker's ProcessWord). */
export function processWord(word: string, env: readonly string[]): string {
  let out = '';
  let i = 0;
  const expand = (): string => {
    // word[i] is '$'
    const next = word[i + 1];
    if (next === '{') {
      const close = word.indexOf('}', i + 2);
      if (close < 0) throw new InvalidArgumentError(`missing '}' in ${JSON.stringify(word)}`);
      const inner = word.slice(i + 2, close);
      i = close + 1;
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::([-+])(.*))?$/s.exec(inner);
      if (!m) throw new InvalidArgumentError(`bad substitution \${${inner}} in ${JSON.stringify(word)}`);
      const value = envValue(env, m[1]!);
      if (m[2] === '-') return value === undefined || value === '' ? processWord(m[3] ?? '', env) : value;
      if (m[2] === '+') return value === undefined || value === '' ? '' : processWord(m[3] ?? '', env);
      return value ?? '';
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(word.slice(i + 1));
    if (!m) {
      i += 1;
      return '$';
    }
    i += 1 + m[0].length;
    return envValue(env, m[0]) ?? '';
  };
  while (i < word.length) {
    const c = word[i]!;
    if (c === "'") {
      const close = word.indexOf("'", i + 1);
      if (close < 0) throw new InvalidArgumentError(`unterminated quote in ${JSON.stringify(word)}`);
      out += word.slice(i + 1, close);
      i = close + 1;
    } else if (c === '"') {
      i++;
      while (i < word.length && word[i] !== '"') {
        const d = word[i]!;
        if (d === '\\' && i + 1 < word.length && '"\\$'.includes(word[i + 1]!)) {
          out += word[i + 1];
          i += 2;
        } else if (d === '$') {
          out += expand();
        } else {
          out += d;
          i++;
        }
      }
      if (i >= word.length) throw new InvalidArgumentError(`unterminated quote in ${JSON.stringify(word)}`);
      i++;
    } else if (c === '\\' && i + 1 < word.length) {
      out += word[i + 1];
      i += 2;
    } else if (c === '$') {
      out += expand();
    } else {
      out += c;
      i++;
    }
  }
  return out;
}
