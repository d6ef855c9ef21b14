/** `berth push`: an image to its registry, with docker's progress output. */
import type { CommandContext } from '../context.js';
import { pullPrinter } from '../pull-progress.js';

export async function pushCommand(ctx: CommandContext, ref: string, opts: { quiet: boolean }): Promise<number> {
  // Push's events have pull's shapes except the end: one printer draws both.
  const print = pullPrinter(ctx.out, { terminal: ctx.io.stdout.isTTY === true });
  await ctx.engine.push(ref, (e) => {
    if (opts.quiet) return;
    if (e.kind === 'done') ctx.out(`${e.text}\n`);
    else print(e);
  });
  if (opts.quiet) ctx.out(`${ref}\n`);
  return 0;
}
