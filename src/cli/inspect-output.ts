/**
 * `volume inspect`, `network inspect`: each object as JSON (all in one array) or through a
 * --format template (a line each); one that cannot be found is an error line, the rest still print.
 */
import type { CommandContext } from './context.js';
import { GoTemplate } from './go-template/index.js';
import { errorMessage } from '../errors.js';

export async function printInspected(ctx: CommandContext, refs: readonly string[], format: string, lookup: (ref: string) => Promise<object>): Promise<number> {
  const tmpl = format === '' ? undefined : GoTemplate.parse(format, 'Template parsing error');
  const found: object[] = [];
  let code = 0;
  for (const ref of refs) {
    try {
      const o = await lookup(ref);
      if (tmpl) ctx.out(`${tmpl.execute(JSON.parse(JSON.stringify(o)), { missingKeyError: true })}\n`);
      else found.push(o);
    } catch (err) {
      ctx.err(`Error: ${errorMessage(err)}\n`);
      code = 1;
    }
  }
  if (!tmpl) ctx.out(`${JSON.stringify(found, null, 4)}\n`);
  return code;
}
