/** `berth ps`: containers listed by the Engine (which applies the filters), printed as docker prints them. */
import type { CommandContext } from '../context.js';
import { filtersFromArgs } from '../../container/filters.js';
import { containerRow } from '../container-row.js';
import { renderList, type ListFormat } from '../list-format.js';

export interface PsOptions {
  all: boolean;
  quiet: boolean;
  noTrunc: boolean;
  latest: boolean;
  /** docker's -n: the last N created containers, any state; -1 for no limit. */
  last: number;
  size: boolean;
  filters: string[];
  format: string;
}

const DEFAULT_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

const PS_HEADERS: ListFormat['headers'] = {
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  Status: 'STATUS',
  Size: 'SIZE',
  Names: 'NAMES',
  Labels: 'LABELS',
  Label: 'LABEL',
  Mounts: 'MOUNTS',
  LocalVolumes: 'LOCAL VOLUMES',
  Networks: 'NETWORKS',
  State: 'STATE',
};

export async function psCommand(ctx: CommandContext, o: PsOptions): Promise<number> {
  const last = o.latest ? 1 : o.last;
  let recs = await ctx.engine.list({ all: o.all || last >= 0, filters: filtersFromArgs(o.filters) });
  if (last >= 0) recs = recs.slice(0, last);
  const format = o.quiet ? '{{.ID}}' : o.format === '' || o.format === 'table' ? `${DEFAULT_TABLE}${o.size ? '\t{{.Size}}' : ''}` : o.format;
  // docker computes sizes for -s, and for a format that shows them.
  const wantSize = !o.quiet && (o.size || /\.Size\b/.test(format) || format === 'json');
  const now = Date.now();
  const rows = await Promise.all(
    recs.map(async (r) => containerRow(r, { noTrunc: o.noTrunc, now, ...(wantSize ? { size: await ctx.engine.containerSize(r.Id) } : {}) })),
  );
  ctx.out(renderList(format, rows, { defaultTable: DEFAULT_TABLE, headers: PS_HEADERS }));
  return 0;
}
