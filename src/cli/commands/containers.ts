/** Commands over existing containers: ps, rm, kill, wait, start, inspect. */
import type { CommandContext } from '../context.js';
import type { ContainerRecord } from '../../container/record.js';
import { humanDuration, table } from '../format.js';
import { attachTerminal } from './run.js';
import { InvalidArgumentError, errorMessage } from '../../errors.js';
import { parseSignal } from '../../runtime/signals.js';
import { eachContainer } from './lifecycle.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../detach-keys.js';

/** docker's STATUS column: "Up 3 minutes", "Exited (0) 2 seconds ago", "Created". */
export function statusText(rec: ContainerRecord, now = Date.now()): string {
  const s = rec.State;
  switch (s.Status) {
    case 'running':
      return `Up ${humanDuration(now - Date.parse(s.StartedAt))}`;
    case 'exited':
      return s.FinishedAt.startsWith('0001')
        ? `Exited (${s.ExitCode})`
        : `Exited (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
    case 'created':
      return 'Created';
    default:
      return s.Status.charAt(0).toUpperCase() + s.Status.slice(1);
  }
}

function commandText(rec: ContainerRecord, full: boolean): string {
  const cmd = [rec.Path, ...rec.Args].join(' ');
  const shown = !full && cmd.length > 20 ? `${cmd.slice(0, 19)}…` : cmd;
  return `"${shown}"`;
}

export interface PsOptions {
  all: boolean;
  quiet: boolean;
  noTrunc: boolean;
  latest: boolean;
  /** docker's -n: the last N created containers, any state; -1 for no limit. */
  last: number;
}

export async function psCommand(ctx: CommandContext, o: PsOptions): Promise<number> {
  const { quiet, noTrunc } = o;
  const last = o.latest ? 1 : o.last;
  let recs = await ctx.engine.list({ all: o.all || last >= 0 });
  if (last >= 0) recs = recs.slice(0, last);
  const id = (r: ContainerRecord): string => (noTrunc ? r.Id : r.Id.slice(0, 12));
  if (quiet) {
    ctx.out(recs.map((r) => `${id(r)}\n`).join(''));
    return 0;
  }
  const now = Date.now();
  const rows = recs.map((r) => [
    id(r),
    r.Config.Image,
    commandText(r, noTrunc),
    `${humanDuration(now - Date.parse(r.Created))} ago`,
    statusText(r, now),
    '',
    r.Name.replace(/^\//, ''),
  ]);
  ctx.out(table(['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'], rows));
  return 0;
}

export function rmCommand(ctx: CommandContext, refs: string[], force: boolean): Promise<number> {
  return eachContainer(ctx, refs, async (ref) => {
    await ctx.engine.remove(ref, { force });
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
  return attachTerminal(ctx.engine, handle, { tty: rec.Config.Tty, stdin: interactive && rec.Config.OpenStdin, detachKeys });
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
  if (rec.Config.Tty && process.stdout.isTTY && process.stdout.rows) handle.resize(process.stdout.rows, process.stdout.columns);
  return attachTerminal(ctx.engine, handle, { tty: rec.Config.Tty, stdin: !o.noStdin && rec.Config.OpenStdin, detachKeys, sigProxy: o.sigProxy });
}

export async function inspectCommand(ctx: CommandContext, refs: string[]): Promise<number> {
  const out: unknown[] = [];
  let code = 0;
  for (const ref of refs) {
    try {
      out.push(await ctx.engine.inspectAny(ref));
    } catch (err) {
      ctx.err(`Error: ${errorMessage(err)}\n`);
      code = 1;
    }
  }
  ctx.out(`${JSON.stringify(out, null, 4)}\n`);
  return code;
}

export async function cleanupCommand(ctx: CommandContext, ids: string[]): Promise<number> {
  for (const id of ids) await ctx.engine.cleanupAfterExit(id);
  return 0;
}
