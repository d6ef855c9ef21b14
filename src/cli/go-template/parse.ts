/** Parses the lexed items into Go's tree: actions, pipelines, commands, if/with/range with else. */
import { syntaxError, type ActionItem, type TextItem, type Token } from './lex.js';
import type { GoFunc } from './funcs.js';

export type Operand =
  | { t: 'field'; pos: number; src: string; path: string[] }
  | { t: 'var'; pos: number; src: string; name: string; path: string[] }
  | { t: 'dot'; pos: number; src: string }
  | { t: 'ident'; pos: number; src: string; name: string }
  | { t: 'lit'; pos: number; src: string; value: unknown }
  | { t: 'paren'; pos: number; src: string; pipe: Pipe; path: string[] };

export interface Command {
  pos: number;
  src: string;
  args: Operand[];
}

export interface Pipe {
  pos: number;
  decl: string[];
  assign: boolean;
  cmds: Command[];
}

export type Node =
  | { t: 'text'; text: string }
  | { t: 'action'; pipe: Pipe }
  | ControlNode
  | { t: 'break' | 'continue'; pos: number };

export interface ControlNode {
  t: 'if' | 'with' | 'range';
  pipe: Pipe;
  list: Node[];
  elseList: Node[] | null;
}

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'break', 'continue', 'define', 'template', 'block']);

export class Parser {
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
