/** `berth system df` (disk used by images and containers, in docker's table) and `berth system service`. */
import { once } from 'node:events';
import type { CommandContext } from '../context.js';
import { startService } from '../service/server.js';
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

/**
 * `berth system service`: serves berth commands from this warm process until SIGTERM or
 * SIGINT; the berth command hands them over (native/client/PROTOCOL.md). The first signal
 * stops taking commands and waits for those under way; a second ends the process at once
 * (an exec under way goes on in its container, as a docker exec does when its client dies).
 */
export async function systemServiceCommand(ctx: CommandContext): Promise<number> {
  const service = await startService(ctx.engine);
  ctx.out(`berth service: serving ${ctx.engine.paths.root} on ${service.socketPath}\n`);
  const signals = ctx.io.signals ?? process;
  const stop = new AbortController();
  const onSignal = (): void => {
    if (stop.signal.aborted) process.exit(130);
    stop.abort();
  };
  signals.on('SIGTERM', onSignal);
  signals.on('SIGINT', onSignal);
  try {
    await once(stop.signal, 'abort');
    await service.close();
  } finally {
    signals.off('SIGTERM', onSignal);
    signals.off('SIGINT', onSignal);
  }
  return 0;
}
