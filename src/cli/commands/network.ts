/** `berth network create|ls|inspect|rm|prune`, printed as docker prints them. */
import type { CommandContext } from '../context.js';
import { printInspected } from '../inspect-output.js';
import { defineFlags, type FlagSpec } from '../flags.js';
import type { Command } from './index.js';
import { confirmed } from '../prompt.js';
import { shortId } from '../format.js';
import { goTimeString } from '../container-row.js';
import { parseLogTime } from '../log-time.js';
import { goStruct } from '../go-template/index.js';
import { renderList, type ListFormat } from '../list-format.js';
import { filtersFromArgs } from '../../container/filters.js';
import { NotFoundError, errorMessage } from '../../errors.js';
import { parseLabelArg } from '../run-flags.js';
import type { NetworkInspect } from '../../network/record.js';

const NETWORK_FORMAT: ListFormat = {
  defaultTable: 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}',
  headers: {
    ID: 'NETWORK ID',
    Name: 'NAME',
    Driver: 'DRIVER',
    Scope: 'SCOPE',
    IPv6: 'IPV6',
    Internal: 'INTERNAL',
    Labels: 'LABELS',
    Label: 'LABEL',
    CreatedAt: 'CREATED AT',
  },
};

/** docker's networkContext: what `network ls --format` templates read. */
function networkRow(n: NetworkInspect, noTrunc: boolean): object {
  return goStruct('*formatter.networkContext', {
    ID: noTrunc ? n.Id : shortId(n.Id),
    Name: n.Name,
    Driver: n.Driver,
    Scope: n.Scope,
    IPv6: String(n.EnableIPv6),
    Internal: String(n.Internal),
    Labels: Object.keys(n.Labels)
      .sort()
      .map((k) => `${k}=${n.Labels[k]}`)
      .join(','),
    CreatedAt: goTimeString(n.Created),
    /** `{{.Label "key"}}`: one label's value. */
    Label: (key: unknown): string => (typeof key === 'string' ? (n.Labels[key] ?? '') : ''),
  });
}

export interface NetworkCreateArgs {
  name: string;
  driver: string;
  subnet: string;
  gateway: string;
  internal: boolean;
  attachable: boolean;
  labels: string[];
}

export async function networkCreateCommand(ctx: CommandContext, a: NetworkCreateArgs): Promise<number> {
  const { Id } = await ctx.engine.createNetwork({
    name: a.name,
    driver: a.driver,
    ...(a.subnet ? { subnet: a.subnet } : {}),
    ...(a.gateway ? { gateway: a.gateway } : {}),
    internal: a.internal,
    attachable: a.attachable,
    labels: Object.fromEntries(a.labels.map(parseLabelArg)),
  });
  ctx.out(`${Id}\n`);
  return 0;
}

export async function networkLsCommand(ctx: CommandContext, o: { quiet: boolean; noTrunc: boolean; filters: string[]; format: string }): Promise<number> {
  const networks = await ctx.engine.listNetworks(filtersFromArgs(o.filters));
  const format = o.quiet ? '{{.ID}}' : o.format;
  ctx.out(renderList(format, networks.map((n) => networkRow(n, o.noTrunc)), NETWORK_FORMAT));
  return 0;
}

export async function networkInspectCommand(ctx: CommandContext, refs: string[], format: string): Promise<number> {
  return printInspected(ctx, refs, format, (ref) => ctx.engine.inspectNetwork(ref));
}

export async function networkRmCommand(ctx: CommandContext, refs: string[], force: boolean): Promise<number> {
  let code = 0;
  for (const ref of refs) {
    try {
      await ctx.engine.removeNetwork(ref);
      ctx.out(`${ref}\n`);
    } catch (err) {
      if (force && err instanceof NotFoundError) continue;
      ctx.err(`Error response from daemon: ${errorMessage(err)}\n`);
      code = 1;
    }
  }
  return code;
}

/** until= as docker's CLI passes it on: a duration or a time, turned into unix seconds here. */
function pruneFilters(raw: readonly string[]): Record<string, string[]> {
  const filters = filtersFromArgs(raw);
  if (filters['until']) filters['until'] = filters['until'].map((v) => parseLogTime(v));
  return filters;
}

export async function networkPruneCommand(ctx: CommandContext, o: { force: boolean; filters: string[] }): Promise<number> {
  const filters = pruneFilters(o.filters);
  if (!o.force) {
    ctx.out('WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ');
    if (!(await confirmed(ctx.io.stdin))) return 0;
  }
  const { deleted } = await ctx.engine.pruneNetworks({ filters });
  if (deleted.length > 0) ctx.out(`Deleted Networks:\n${deleted.map((d) => `${d}\n`).join('')}\n`);
  return 0;
}

export async function networkConnectCommand(ctx: CommandContext, net: string, container: string, o: { aliases: string[]; ip: string }): Promise<number> {
  await ctx.engine.connectNetwork(net, container, { aliases: o.aliases, ...(o.ip !== '' ? { ip: o.ip } : {}) });
  return 0;
}

export async function networkDisconnectCommand(ctx: CommandContext, net: string, container: string): Promise<number> {
  await ctx.engine.disconnectNetwork(net, container);
  return 0;
}

const noFlags = defineFlags([] as const);

const connectFlags = defineFlags([
  { long: 'alias', type: 'stringArray', valueName: 'strings', description: 'Add network-scoped alias for the container' },
  { long: 'ip', type: 'string', valueName: 'string', description: 'IPv4 address (e.g., "172.30.100.104")' },
] as const);

const createFlags = defineFlags([
  { long: 'attachable', type: 'bool', description: 'Enable manual container attachment' },
  { long: 'driver', short: 'd', type: 'string', default: 'bridge', description: 'Driver to manage the Network (berth has bridge only)' },
  { long: 'gateway', type: 'string', valueName: 'string', description: 'IPv4 Gateway for the master subnet (default: its first address)' },
  { long: 'internal', type: 'bool', description: 'Restrict external access to the network' },
  { long: 'label', type: 'stringArray', valueName: 'list', description: 'Set metadata on a network', validate: (v: string) => void parseLabelArg(v) },
  { long: 'subnet', type: 'string', valueName: 'string', description: 'Subnet in CIDR format that represents a network segment (default: picked from 172.17-31.0.0/16, 192.168.0-240.0/20)' },
] as const);

const lsFlags = defineFlags([
  { long: 'filter', short: 'f', type: 'stringArray', valueName: 'filter', description: "Provide filter values (e.g. 'driver=bridge', 'name=', 'id=', 'label=', 'type=custom|builtin', 'dangling=true')" },
  { long: 'format', type: 'string', valueName: 'string', description: "Format output: 'table', 'table TEMPLATE', 'json', or a Go TEMPLATE ({{.ID}}, {{.Name}}, {{.Driver}}, {{.Label \"k\"}}…)" },
  { long: 'no-trunc', type: 'bool', description: 'Do not truncate the output' },
  { long: 'quiet', short: 'q', type: 'bool', description: 'Only display network IDs' },
] as const);

const inspectFlags = defineFlags([
  { long: 'format', short: 'f', type: 'string', valueName: 'string', description: 'Format output using a custom Go template ({{.IPAM.Config}}, {{json .Containers}}…)' },
] as const);

const rmFlags = defineFlags([
  { long: 'force', short: 'f', type: 'bool', description: 'Do not error if the network does not exist' },
] as const);

const pruneFlags = defineFlags([
  { long: 'filter', type: 'stringArray', valueName: 'filter', description: "Provide filter values (e.g. 'until=<timestamp>', 'label=<label>')" },
  { long: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
] as const);

function command<const S extends readonly FlagSpec[]>(c: Command<S>): Command {
  return c as unknown as Command;
}

export const networkCommands: readonly Command[] = [
  command({
    names: ['network create'],
    usage: 'network create [OPTIONS] NETWORK',
    description: 'Create a network',
    flags: createFlags,
    minArgs: 1,
    maxArgs: 1,
    run: (ctx, p) =>
      networkCreateCommand(ctx, {
        name: p.positionals[0]!,
        driver: p.values.driver,
        subnet: p.values.subnet,
        gateway: p.values.gateway,
        internal: p.values.internal,
        attachable: p.values.attachable,
        labels: p.values.label,
      }),
  }),
  command({
    names: ['network ls', 'network list'],
    usage: 'network ls [OPTIONS]',
    description: 'List networks',
    flags: lsFlags,
    maxArgs: 0,
    served: true,
    run: (ctx, p) => networkLsCommand(ctx, { quiet: p.values.quiet, noTrunc: p.values['no-trunc'], filters: p.values.filter, format: p.values.format }),
  }),
  command({
    names: ['network inspect'],
    usage: 'network inspect [OPTIONS] NETWORK [NETWORK...]',
    description: 'Display detailed information on one or more networks',
    flags: inspectFlags,
    minArgs: 1,
    served: true,
    run: (ctx, p) => networkInspectCommand(ctx, p.positionals, p.values.format),
  }),
  command({
    names: ['network rm', 'network remove'],
    usage: 'network rm NETWORK [NETWORK...]',
    description: 'Remove one or more networks',
    flags: rmFlags,
    minArgs: 1,
    run: (ctx, p) => networkRmCommand(ctx, p.positionals, p.values.force),
  }),
  command({
    names: ['network connect'],
    usage: 'network connect [OPTIONS] NETWORK CONTAINER',
    description: 'Connect a container to a network',
    flags: connectFlags,
    minArgs: 2,
    maxArgs: 2,
    run: (ctx, p) => networkConnectCommand(ctx, p.positionals[0]!, p.positionals[1]!, { aliases: p.values.alias, ip: p.values.ip }),
  }),
  command({
    names: ['network disconnect'],
    usage: 'network disconnect [OPTIONS] NETWORK CONTAINER',
    description: 'Disconnect a container from a network',
    flags: noFlags,
    minArgs: 2,
    maxArgs: 2,
    run: (ctx, p) => networkDisconnectCommand(ctx, p.positionals[0]!, p.positionals[1]!),
  }),
  command({
    names: ['network prune'],
    usage: 'network prune [OPTIONS]',
    description: 'Remove all unused networks',
    flags: pruneFlags,
    maxArgs: 0,
    run: (ctx, p) => networkPruneCommand(ctx, { force: p.values.force, filters: p.values.filter }),
  }),
];
