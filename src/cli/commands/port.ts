/** `berth port C [PRIVATE_PORT[/PROTO]]`: the container's published ports, as docker prints them. */
import type { CommandContext } from '../context.js';
import { NotFoundError } from '../../errors.js';
import { formatPortCommand } from '../../network/port-format.js';

export async function portCommand(ctx: CommandContext, ref: string, filter: string | undefined): Promise<number> {
  const c = await ctx.engine.containerInspect(ref);
  const lines = formatPortCommand(c.NetworkSettings.Ports, filter);
  if (lines.length === 0 && filter !== undefined) {
    const key = filter.includes('/') ? filter : `${filter}/tcp`;
    throw new NotFoundError(`No public port '${key}' published for ${ref}`);
  }
  for (const l of lines) ctx.out(`${l}\n`);
  return 0;
}
