/** `berth system df`: disk used by images and containers, in docker's table. */
import type { CommandContext } from '../context.js';
import type { UsageLine } from '../../engine.js';
import { humanSize, table } from '../format.js';

function reclaimable(line: UsageLine): string {
  const percent = line.size > 0 ? ` (${Math.round((line.reclaimable / line.size) * 100)}%)` : '';
  return `${humanSize(line.reclaimable)}${percent}`;
}

export async function systemDfCommand(ctx: CommandContext): Promise<number> {
  const usage = await ctx.engine.diskUsage();
  // The build cache comes with its own feature; until then there is none.
  const none: UsageLine = { total: 0, active: 0, size: 0, reclaimable: 0 };
  const rows = (
    [
      ['Images', usage.images],
      ['Containers', usage.containers],
      ['Local Volumes', usage.volumes],
      ['Build Cache', none],
    ] as const
  ).map(([type, l]) => [type, String(l.total), String(l.active), humanSize(l.size), reclaimable(l)]);
  ctx.out(table(['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'], rows));
  return 0;
}
