/** Runs a parsed template over a value, failing as Go's text/template does, with the position. */
import { lineOf } from './lex.js';
import type { Command, ControlNode, Node, Operand, Pipe } from './parse.js';
import { FUNCS, FuncError, type GoFunc } from './funcs.js';
import { goPrint, goTypeName, structType, truth } from './values.js';
import type { TemplateOptions } from './index.js';

export class ExecError extends Error {}
class BreakSignal {}
class ContinueSignal {}

/** "Empty" marker for a command with no piped-in value. */
const NONE = Symbol('none');

export class Exec {
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
