/** `berth inspect`: containers and images as docker shows them, as a JSON array or through a Go template. */
import type { CommandContext } from '../context.js';
import { GoTemplate } from '../go-template/index.js';
import { InvalidArgumentError, errorMessage } from '../../errors.js';

export interface InspectOptions {
  format: string;
  type: string;
  size: boolean;
}

export async function inspectCommand(ctx: CommandContext, refs: string[], o: InspectOptions): Promise<number> {
  if (o.type !== '' && o.type !== 'container' && o.type !== 'image') throw new InvalidArgumentError(`"${o.type}" is not a valid value for --type`);
  // docker checks the template before it looks anything up.
  const tmpl = o.format === '' ? undefined : GoTemplate.parse(o.format, 'Template parsing error');
  const found: unknown[] = [];
  let code = 0;
  for (const ref of refs) {
    let obj: unknown;
    try {
      obj = await ctx.engine.inspectAny(ref, { ...(o.type !== '' ? { type: o.type } : {}), size: o.size });
    } catch (err) {
      ctx.err(`Error: ${errorMessage(err)}\n`);
      code = 1;
      continue;
    }
    // inspect runs templates over the JSON, where a missing key is an error (Go's missingkey=error).
    if (tmpl) ctx.out(`${tmpl.execute(JSON.parse(JSON.stringify(obj)), { missingKeyError: true })}\n`);
    else found.push(obj);
  }
  if (!tmpl) ctx.out(`${JSON.stringify(found, null, 4)}\n`);
  return code;
}
