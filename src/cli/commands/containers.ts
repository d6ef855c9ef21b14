/** Commands over existing containers: rm, kill, wait, start, attach, and the supervisor's cleanup. */
import type { CommandContext } from '../context.js';
import { attachTerminal, terminalSize } from './run.js';
import { InvalidArgumentError } from '../../errors.js';
import { parseSignal } from '../../runtime/signals.js';
import { eachContainer } from './lifecycle.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../detach-keys.js';

export function rmCommand(ctx: CommandContext, refs: string[], force: boolean, volumes = false): Promise<number> {
  return eachContainer(ctx, refs, async (ref) => {
    await ctx.engine.remove(ref, { force, volumes });
    return ref;
  });
}

export function killCommand(ctx: CommandContext, refs: string[], rawSignal: string): Promise<number> {
  const signal = parseSignal(rawSignal);
  return eachContainer(ctx, refs, async (ref) => {
    await ctx.engine.kill(ref, signal);
    return ref;
  });
}

export function waitCommand(ctx: CommandContext, refs: string[]): Promise<number> {
  return eachContainer(ctx, refs, async (ref) => String(await ctx.engine.wait(ref)));
}

export async function startCommand(
  ctx: CommandContext,
  refs: string[],
  o: { attach: boolean; interactive: boolean; detachKeys: string },
): Promise<number> {
  const { attach, interactive } = o;
  if (!attach && !interactive) {
    return eachContainer(ctx, refs, async (ref) => {
      await ctx.engine.start(ref);
      return ref;
    });
  }
  if (refs.length > 1) throw new InvalidArgumentError('you cannot start and attach multiple containers at once');
  const ref = refs[0]!;
  const detachKeys = parseDetachKeys(o.detachKeys || DEFAULT_DETACH_KEYS);
  const handle = await ctx.engine.startAttached(ref, { stdin: interactive });
  const rec = await ctx.engine.inspect(handle.id);
  return attachTerminal(ctx.io, ctx.engine, handle, { tty: rec.Config.Tty, stdin: interactive && rec.Config.OpenStdin, detachKeys });
}

/** docker attach: this terminal to a running container until it exits or the detach keys come. */
export async function attachCommand(
  ctx: CommandContext,
  ref: string,
  o: { noStdin: boolean; detachKeys: string; sigProxy: boolean },
): Promise<number> {
  const detachKeys = parseDetachKeys(o.detachKeys || DEFAULT_DETACH_KEYS);
  const handle = await ctx.engine.attach(ref, { stdin: !o.noStdin });
  const rec = await ctx.engine.inspect(handle.id);
  const size = terminalSize(ctx.io.stdout);
  if (rec.Config.Tty && size) handle.resize(...size);
  return attachTerminal(ctx.io, ctx.engine, handle, { tty: rec.Config.Tty, stdin: !o.noStdin && rec.Config.OpenStdin, detachKeys, sigProxy: o.sigProxy });
}

export async function cleanupCommand(ctx: CommandContext, ids: string[]): Promise<number> {
  for (const id of ids) await ctx.engine.cleanupAfterExit(id);
  return 0;
}
