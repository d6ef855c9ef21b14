/** `berth pull`: an image from its registry, with docker's progress output. */
import type { CommandContext } from '../context.js';
import { parsePlatform } from '../../image/registry/manifest.js';
import { pullPrinter } from '../pull-progress.js';

export async function pullCommand(ctx: CommandContext, ref: string, opts: { platform: string; quiet: boolean }): Promise<number> {
  const platform = opts.platform ? parsePlatform(opts.platform) : undefined;
  const print = pullPrinter(ctx.out, { terminal: ctx.io.stdout.isTTY === true, quiet: opts.quiet });
  await ctx.engine.pull(ref, { ...(platform ? { platform } : {}), onProgress: print });
  return 0;
}
