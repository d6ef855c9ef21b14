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
import { InvalidArgumentError } from '../../errors.js';
import { TemplateSyntaxError, lex } from './lex.js';
import { Parser, type Node } from './parse.js';
import { FUNCS } from './funcs.js';
import { Exec, ExecError } from './exec.js';

export { goStruct, goPrint } from './values.js';
export { sprintf } from './funcs.js';

export interface TemplateOptions {
  /** Go's missingkey=error, as `docker inspect` runs templates over JSON; else a missing key prints "<no value>". */
  missingKeyError?: boolean;
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
