/** Commands that change a container's state: stop, restart, pause, unpause, rename, update, prune, top, stats, boot. */
import type { CommandContext } from '../context.js';
import { binarySize, humanSize, table } from '../format.js';
import { confirmed } from '../prompt.js';
import { goStruct } from '../go-template/index.js';
import { renderList, type ListFormat } from '../list-format.js';
import { parseBytes, parseCpus, parseRestartPolicy } from '../units.js';
import { parseSignal } from '../../runtime/signals.js';
import { InvalidArgumentError, errorMessage } from '../../errors.js';
import type { ContainerUpdate } from '../../container/options.js';
import type { ContainerStats } from '../../container/stats.js';

/** Runs fn for each named container, printing its name as docker does, or docker's per-container error; 1 if any failed. */
export async function eachContainer(ctx: CommandContext, refs: readonly string[], fn: (ref: string) => Promise<string | undefined>): Promise<number> {
  let code = 0;
  for (const ref of refs) {
    try {
      const line = await fn(ref);
      if (line !== undefined) ctx.out(`${line}\n`);
    } catch (err) {
      ctx.err(`Error response from daemon: ${errorMessage(err)}\n`);
      code = 1;
    }
  }
  return code;
}

export interface StopFlags {
  /** Seconds; undefined: the container's own StopTimeout, else 10. */
  timeout: number | undefined;
  signal: string;
}

function stopOptions(o: StopFlags): { timeout?: number; signal?: NodeJS.Signals | number } {
  return { ...(o.timeout !== undefined ? { timeout: o.timeout } : {}), ...(o.signal !== '' ? { signal: parseSignal(o.signal) } : {}) };
}

export function stopCommand(ctx: CommandContext, refs: string[], o: StopFlags): Promise<number> {
  const opts = stopOptions(o);
  return eachContainer(ctx, refs, async (ref) => {
    await ctx.engine.stop(ref, opts);
    return ref;
  });
}

export function restartCommand(ctx: CommandContext, refs: string[], o: StopFlags): Promise<number> {
  const opts = stopOptions(o);
  return eachContainer(ctx, refs, async (ref) => {
    await ctx.engine.restart(ref, opts);
    return ref;
  });
}

export function pauseCommand(ctx: CommandContext, refs: string[], paused: boolean): Promise<number> {
  return eachContainer(ctx, refs, async (ref) => {
    await (paused ? ctx.engine.pause(ref) : ctx.engine.unpause(ref));
    return ref;
  });
}

export async function renameCommand(ctx: CommandContext, from: string, to: string): Promise<number> {
  await ctx.engine.rename(from, to);
  return 0;
}

export interface UpdateFlags {
  memory: string;
  cpus: string;
  cpuShares: number | undefined;
  pidsLimit: number | undefined;
  restart: string;
}

export function updateCommand(ctx: CommandContext, refs: string[], o: UpdateFlags): Promise<number> {
  const changes: ContainerUpdate = {};
  if (o.memory !== '') changes.memory = parseBytes(o.memory);
  if (o.cpus !== '') changes.nanoCpus = parseCpus(o.cpus);
  if (o.cpuShares !== undefined) changes.cpuShares = o.cpuShares;
  if (o.pidsLimit !== undefined) changes.pidsLimit = o.pidsLimit;
  if (o.restart !== '') changes.restartPolicy = parseRestartPolicy(o.restart);
  if (Object.keys(changes).length === 0) throw new InvalidArgumentError('you must provide one or more flags when using this command');
  return eachContainer(ctx, refs, async (ref) => {
    await ctx.engine.update(ref, changes);
    return ref;
  });
}

/** docker's prune filters: label=K[=V], label!=K[=V], until=TIMESTAMP|DURATION. */
function pruneFilters(raw: readonly string[]): { label: string[]; labelNot: string[]; until?: number } {
  const out: { label: string[]; labelNot: string[]; until?: number } = { label: [], labelNot: [] };
  for (const f of raw) {
    const m = /^(label!?|until)=(.*)$/.exec(f);
    if (!m) throw new InvalidArgumentError(`invalid filter '${f.split('=')[0]}'`);
    const [, key, value = ''] = m;
    if (key === 'label') out.label.push(value);
    else if (key === 'label!') out.labelNot.push(value);
    else out.until = untilTime(value);
  }
  return out;
}

/** An until= value: a Go duration back from now ("10m", "1h30m"), a unix timestamp or an RFC 3339 date. */
function untilTime(value: string): number {
  const dur = /^(\d+(?:\.\d+)?)(h|m|s)$/.exec(value);
  if (dur) return Date.now() - Number(dur[1]) * { h: 3_600_000, m: 60_000, s: 1000 }[dur[2] as 'h' | 'm' | 's'];
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidArgumentError(`invalid until filter: ${value}`);
  return t;
}

export async function containerPruneCommand(ctx: CommandContext, o: { force: boolean; filters: string[] }): Promise<number> {
  const filters = pruneFilters(o.filters);
  if (!o.force) {
    ctx.out('WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ');
    if (!(await confirmed(ctx.io.stdin))) return 0;
  }
  const { deleted, reclaimed } = await ctx.engine.pruneContainers(filters);
  if (deleted.length > 0) ctx.out(`Deleted Containers:\n${deleted.map((id) => `${id}\n`).join('')}\n`);
  ctx.out(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
  return 0;
}

export async function topCommand(ctx: CommandContext, ref: string, psArgs: string[]): Promise<number> {
  const { Titles, Processes } = await ctx.engine.top(ref, psArgs);
  ctx.out(table(Titles, Processes));
  return 0;
}

/** docker stats' default columns and the headers of its fields. */
const STATS_FORMAT: ListFormat = {
  defaultTable: 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}',
  headers: {
    Container: 'CONTAINER',
    ID: 'CONTAINER ID',
    Name: 'NAME',
    CPUPerc: 'CPU %',
    MemUsage: 'MEM USAGE / LIMIT',
    MemPerc: 'MEM %',
    NetIO: 'NET I/O',
    BlockIO: 'BLOCK I/O',
    PIDs: 'PIDS',
  },
};

/** docker stats' row of one container from two samples (the rates need both). */
export function statsRow(prev: ContainerStats | undefined, now: ContainerStats, noTrunc: boolean): Record<string, string> {
  const cpuDelta = prev ? now.cpuNs - prev.cpuNs : 0;
  const systemDelta = prev ? now.systemCpuNs - prev.systemCpuNs : 0;
  const cpu = systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * now.onlineCpus * 100 : 0;
  const mem = now.memoryLimit > 0 ? (now.memoryUsage / now.memoryLimit) * 100 : 0;
  const id = noTrunc ? now.id : now.id.slice(0, 12);
  return {
    Container: id,
    ID: id,
    Name: now.name,
    CPUPerc: `${cpu.toFixed(2)}%`,
    MemUsage: `${binarySize(now.memoryUsage)} / ${binarySize(now.memoryLimit)}`,
    MemPerc: `${mem.toFixed(2)}%`,
    NetIO: `${humanSize(now.netRx)} / ${humanSize(now.netTx)}`,
    BlockIO: `${humanSize(now.blkRead)} / ${humanSize(now.blkWrite)}`,
    PIDs: String(now.pids),
  };
}

function renderStats(rows: Record<string, string>[], format: string): string {
  return renderList(format, rows.map((r) => goStruct('*formatter.statsContext', r)), STATS_FORMAT);
}

export interface StatsFlags {
  all: boolean;
  noStream: boolean;
  noTrunc: boolean;
  format: string;
}

/**
 * docker stats: a table refreshed every second (or, with --no-stream, one table from two
 * samples a second apart: CPU % is a rate). Without names: the running containers (-a: all).
 */
export async function statsCommand(ctx: CommandContext, refs: string[], o: StatsFlags): Promise<number> {
  const targets = async (): Promise<string[]> =>
    refs.length > 0 ? refs : (await ctx.engine.list({ all: o.all })).map((r) => r.Id);
  const sample = async (ids: string[]): Promise<Map<string, ContainerStats>> => {
    const out = new Map<string, ContainerStats>();
    for (const id of ids) {
      try {
        out.set(id, await ctx.engine.stats(id));
      } catch (err) {
        // Named containers must exist; listed ones may go away between list and sample.
        if (refs.length > 0) throw err;
      }
    }
    return out;
  };
  let prev = await sample(await targets());
  const tty = ctx.io.stdout.isTTY === true && !o.noStream;
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = await sample(await targets());
    const rows = [...now].map(([id, s]) => statsRow(prev.get(id), s, o.noTrunc));
    ctx.out(`${tty ? '\x1b[2J\x1b[H' : ''}${renderStats(rows, o.format)}`);
    if (o.noStream) return 0;
    prev = now;
  }
}

export async function bootCommand(ctx: CommandContext): Promise<number> {
  const { started, failed } = await ctx.engine.boot();
  for (const id of started) ctx.out(`${id}\n`);
  for (const f of failed) ctx.err(`Error response from daemon: cannot start ${f.id}: ${f.error}\n`);
  return failed.length > 0 ? 1 : 0;
}

export async function restarterCommand(ctx: CommandContext, id: string): Promise<number> {
  await ctx.engine.restartAfterDelay(id);
  return 0;
}
