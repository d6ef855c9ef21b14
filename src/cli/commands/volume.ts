/** `berth volume create|ls|inspect|rm|prune`, printed as docker prints them. */
import type { CommandContext } from '../context.js';
import { printInspected } from '../inspect-output.js';
import { defineFlags, type FlagSpec } from '../flags.js';
import type { Command } from './index.js';
import { confirmed } from '../prompt.js';
import { humanSize } from '../format.js';
import { goStruct } from '../go-template/index.js';
import { renderList, type ListFormat } from '../list-format.js';
import { filtersFromArgs } from '../../container/filters.js';
import { InvalidArgumentError, errorMessage } from '../../errors.js';
import { parseLabelArg } from '../run-flags.js';
import type { VolumeInspect } from '../../volume/record.js';

const VOLUME_FORMAT: ListFormat = {
  defaultTable: 'table {{.Driver}}\t{{.Name}}',
  headers: {
    Driver: 'DRIVER',
    Name: 'VOLUME NAME',
    Scope: 'SCOPE',
    Mountpoint: 'MOUNTPOINT',
    Labels: 'LABELS',
    Label: 'LABEL',
    Links: 'LINKS',
    Size: 'SIZE',
  },
};

/** docker's VolumeContext: what `volume ls --format` templates read. */
function volumeRow(v: VolumeInspect): object {
  return goStruct('*formatter.volumeContext', {
    Driver: v.Driver,
    Labels: Object.keys(v.Labels)
      .sort()
      .map((k) => `${k}=${v.Labels[k]}`)
      .join(','),
    Links: 'N/A',
    Mountpoint: v.Mountpoint,
    Name: v.Name,
    Scope: v.Scope,
    Size: 'N/A',
    /** `{{.Label "key"}}`: one label's value. */
    Label: (key: unknown): string => (typeof key === 'string' ? (v.Labels[key] ?? '') : ''),
  });
}

export async function volumeCreateCommand(ctx: CommandContext, name: string | undefined, labels: string[]): Promise<number> {
  const v = await ctx.engine.createVolume({ ...(name ? { name } : {}), labels: Object.fromEntries(labels.map(parseLabelArg)) });
  ctx.out(`${v.Name}\n`);
  return 0;
}

export async function volumeLsCommand(ctx: CommandContext, o: { quiet: boolean; filters: string[]; format: string }): Promise<number> {
  const volumes = await ctx.engine.listVolumes(filtersFromArgs(o.filters));
  const format = o.quiet ? '{{.Name}}' : o.format;
  ctx.out(renderList(format, volumes.map(volumeRow), VOLUME_FORMAT));
  return 0;
}

export async function volumeInspectCommand(ctx: CommandContext, names: string[], format: string): Promise<number> {
  return printInspected(ctx, names, format, (ref) => ctx.engine.inspectVolume(ref));
}

export async function volumeRmCommand(ctx: CommandContext, names: string[], force: boolean): Promise<number> {
  let code = 0;
  for (const name of names) {
    try {
      await ctx.engine.removeVolume(name, { force });
      ctx.out(`${name}\n`);
    } catch (err) {
      ctx.err(`Error response from daemon: ${errorMessage(err)}\n`);
      code = 1;
    }
  }
  return code;
}

export async function volumePruneCommand(ctx: CommandContext, o: { all: boolean; force: boolean; filters: string[] }): Promise<number> {
  const filters = filtersFromArgs(o.filters);
  if (!o.force) {
    const what = o.all ? 'all local volumes' : 'anonymous local volumes';
    ctx.out(`WARNING! This will remove ${what} not used by at least one container.\nAre you sure you want to continue? [y/N] `);
    if (!(await confirmed(ctx.io.stdin))) return 0;
  }
  const { deleted, reclaimed } = await ctx.engine.pruneVolumes({ all: o.all, filters });
  if (deleted.length > 0) ctx.out(`Deleted Volumes:\n${deleted.map((d) => `${d}\n`).join('')}\n`);
  ctx.out(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
  return 0;
}

const createFlags = defineFlags([
  { long: 'label', type: 'stringArray', valueName: 'list', description: 'Set metadata for a volume', validate: (v: string) => void parseLabelArg(v) },
  { long: 'driver', short: 'd', type: 'string', default: 'local', description: 'Specify volume driver name (berth has local only)' },
] as const);

const lsFlags = defineFlags([
  { long: 'filter', short: 'f', type: 'stringArray', valueName: 'filter', description: "Provide filter values (e.g. 'dangling=true', 'name=', 'label=')" },
  { long: 'format', type: 'string', valueName: 'string', description: "Format output: 'table', 'table TEMPLATE', 'json', or a Go TEMPLATE ({{.Name}}, {{.Driver}}, {{.Mountpoint}}, {{.Label \"k\"}}…)" },
  { long: 'quiet', short: 'q', type: 'bool', description: 'Only display volume names' },
] as const);

const inspectFlags = defineFlags([
  { long: 'format', short: 'f', type: 'string', valueName: 'string', description: 'Format output using a custom Go template ({{.Mountpoint}}, {{json .Labels}}…)' },
] as const);

const rmFlags = defineFlags([
  { long: 'force', short: 'f', type: 'bool', description: 'Force the removal of one or more volumes (a missing one is no error)' },
] as const);

const pruneFlags = defineFlags([
  { long: 'all', short: 'a', type: 'bool', description: 'Remove all unused volumes, not just anonymous ones' },
  { long: 'filter', type: 'stringArray', valueName: 'filter', description: "Provide filter values (e.g. 'label=<label>')" },
  { long: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
] as const);

function command<const S extends readonly FlagSpec[]>(c: Command<S>): Command {
  return c as unknown as Command;
}

export const volumeCommands: readonly Command[] = [
  command({
    names: ['volume create'],
    usage: 'volume create [OPTIONS] [VOLUME]',
    description: 'Create a volume',
    flags: createFlags,
    maxArgs: 1,
    run: (ctx, p) => {
      if (p.values.driver !== 'local') throw new InvalidArgumentError(`volume driver ${p.values.driver} is not available: berth has the local driver only`);
      return volumeCreateCommand(ctx, p.positionals[0], p.values.label);
    },
  }),
  command({
    names: ['volume ls', 'volume list'],
    usage: 'volume ls [OPTIONS]',
    description: 'List volumes',
    flags: lsFlags,
    maxArgs: 0,
    served: true,
    run: (ctx, p) => volumeLsCommand(ctx, { quiet: p.values.quiet, filters: p.values.filter, format: p.values.format }),
  }),
  command({
    names: ['volume inspect'],
    usage: 'volume inspect [OPTIONS] VOLUME [VOLUME...]',
    description: 'Display detailed information on one or more volumes',
    flags: inspectFlags,
    minArgs: 1,
    served: true,
    run: (ctx, p) => volumeInspectCommand(ctx, p.positionals, p.values.format),
  }),
  command({
    names: ['volume rm', 'volume remove'],
    usage: 'volume rm [OPTIONS] VOLUME [VOLUME...]',
    description: 'Remove one or more volumes. You cannot remove a volume that is in use by a container.',
    flags: rmFlags,
    minArgs: 1,
    run: (ctx, p) => volumeRmCommand(ctx, p.positionals, p.values.force),
  }),
  command({
    names: ['volume prune'],
    usage: 'volume prune [OPTIONS]',
    description: 'Remove unused local volumes',
    flags: pruneFlags,
    maxArgs: 0,
    run: (ctx, p) => volumePruneCommand(ctx, { all: p.values.all, force: p.values.force, filters: p.values.filter }),
  }),
];
