/** Image commands: images, import. */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { CommandContext } from '../context.js';
import { confirmed } from '../prompt.js';
import { humanDuration, humanSize, shortId, table } from '../format.js';
import { BerthError, NotFoundError, InvalidArgumentError } from '../../errors.js';
import type { ImageSummary } from '../../image/image-store.js';
import { goStruct } from '../go-template/index.js';
import { renderList, type ListFormat } from '../list-format.js';
import { matchesLabel } from '../../container/labels.js';

export interface ImagesOptions {
  all: boolean;
  quiet: boolean;
  noTrunc: boolean;
  digests: boolean;
  filters: string[];
  format: string;
}

/** `docker images --format`: its default columns and the headers of its fields. */
const IMAGES_FORMAT: ListFormat = {
  defaultTable: 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}',
  headers: {
    Containers: 'CONTAINERS',
    CreatedAt: 'CREATED AT',
    CreatedSince: 'CREATED',
    Digest: 'DIGEST',
    ID: 'IMAGE ID',
    Repository: 'REPOSITORY',
    SharedSize: 'SHARED SIZE',
    Size: 'SIZE',
    Tag: 'TAG',
    UniqueSize: 'UNIQUE SIZE',
    VirtualSize: 'VIRTUAL SIZE',
  },
};

/** A glob as path.Match has it: `*` and `?` within a path component, `[...]` classes. */
function globMatch(pattern: string, text: string): boolean {
  const re = pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${re}$`).test(text);
}

function imageFilter(specs: string[], all: ImageSummary[]): (img: ImageSummary, repo: string, tag: string) => boolean {
  const checks: Array<(img: ImageSummary, repo: string, tag: string) => boolean> = [];
  const createdOf = (ref: string): number => {
    const found = all.find((i) => i.Id === ref || i.Id.startsWith(`sha256:${ref}`) || i.RepoTags.includes(ref) || i.RepoTags.includes(`${ref}:latest`));
    if (!found) throw new NotFoundError(`No such image: ${ref}`);
    return found.Created;
  };
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`bad format of filter (expected name=value): ${spec}`);
    const key = spec.slice(0, eq);
    const value = spec.slice(eq + 1);
    switch (key) {
      case 'dangling':
        if (value !== 'true' && value !== 'false') throw new InvalidArgumentError(`invalid filter 'dangling=${value}'`);
        checks.push((img) => (img.RepoTags.length === 0) === (value === 'true'));
        break;
      case 'reference':
        checks.push((_img, repo, tag) => repo !== '<none>' && (globMatch(value, repo) || globMatch(value, `${repo}:${tag}`)));
        break;
      case 'label':
        checks.push((img) => matchesLabel(img.Labels, value));
        break;
      case 'before': {
        const t = createdOf(value);
        checks.push((img) => img.Created < t);
        break;
      }
      case 'since': {
        const t = createdOf(value);
        checks.push((img) => img.Created > t);
        break;
      }
      default:
        throw new InvalidArgumentError(`invalid filter '${key}'`);
    }
  }
  return (img, repo, tag) => checks.every((c) => c(img, repo, tag));
}

export async function imagesCommand(ctx: CommandContext, opts: ImagesOptions): Promise<number> {
  const images = await ctx.engine.listImages();
  const keep = imageFilter(opts.filters, images);
  const id = (i: string): string => (opts.noTrunc ? i : shortId(i));
  const now = Date.now();
  const rows: Array<Record<string, string>> = [];
  for (const img of images) {
    const tags = img.RepoTags.length > 0 ? img.RepoTags : ['<none>:<none>'];
    for (const t of tags) {
      const colon = t.lastIndexOf(':');
      const repo = t.slice(0, colon);
      const tag = t.slice(colon + 1);
      if (!keep(img, repo, tag)) continue;
      const digest = img.RepoDigests.find((d) => d.startsWith(`${repo}@`))?.slice(repo.length + 1) ?? '<none>';
      const created = new Date(img.Created * 1000);
      rows.push({
        Containers: 'N/A',
        CreatedAt: `${created.toISOString().replace('T', ' ').replace(/\.\d+Z$/, '')} +0000 UTC`,
        CreatedSince: `${humanDuration(now - img.Created * 1000)} ago`,
        Digest: digest,
        ID: id(img.Id),
        Repository: repo,
        SharedSize: 'N/A',
        Size: humanSize(img.Size),
        Tag: tag,
        UniqueSize: 'N/A',
        VirtualSize: humanSize(img.Size),
      });
    }
  }
  if (opts.quiet) {
    ctx.out([...new Set(rows.map((r) => r['ID']!))].map((i) => `${i}\n`).join(''));
    return 0;
  }
  if (opts.format) {
    ctx.out(renderList(opts.format, rows.map((r) => goStruct('*formatter.imageContext', r)), IMAGES_FORMAT));
    return 0;
  }
  const columns = ['Repository', 'Tag', ...(opts.digests ? ['Digest'] : []), 'ID', 'CreatedSince', 'Size'];
  const header = ['REPOSITORY', 'TAG', ...(opts.digests ? ['DIGEST'] : []), 'IMAGE ID', 'CREATED', 'SIZE'];
  ctx.out(table(header, rows.map((r) => columns.map((c) => r[c] ?? ''))));
  return 0;
}

export async function tagCommand(ctx: CommandContext, source: string, target: string): Promise<number> {
  await ctx.engine.tagImage(source, target);
  return 0;
}

/** docker rmi: each image in turn; a failure is reported and the rest still go. */
export async function rmiCommand(ctx: CommandContext, refs: string[], force: boolean): Promise<number> {
  let code = 0;
  for (const ref of refs) {
    try {
      for (const line of await ctx.engine.removeImage(ref, { force })) {
        ctx.out('Untagged' in line ? `Untagged: ${line.Untagged}\n` : `Deleted: ${line.Deleted}\n`);
      }
    } catch (err) {
      if (!(err instanceof BerthError)) throw err;
      ctx.err(`berth: ${err.message}\n`);
      code = 1;
    }
  }
  return code;
}

/** docker shortens CREATED BY to 45 characters with an ellipsis. */
function ellipsis(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

export async function historyCommand(ctx: CommandContext, ref: string, opts: { noTrunc: boolean; quiet: boolean; human: boolean }): Promise<number> {
  const items = await ctx.engine.imageHistory(ref);
  const id = (i: string): string => (i === '<missing>' || opts.noTrunc ? i : shortId(i));
  if (opts.quiet) {
    ctx.out(items.map((i) => `${id(i.Id)}\n`).join(''));
    return 0;
  }
  const now = Date.now();
  const rows = items.map((i) => [
    id(i.Id),
    opts.human ? `${humanDuration(now - i.Created * 1000)} ago` : new Date(i.Created * 1000).toISOString(),
    opts.noTrunc ? i.CreatedBy : ellipsis(i.CreatedBy.replace(/\s+/g, ' '), 45),
    opts.human ? humanSize(i.Size) : String(i.Size),
    i.Comment,
  ]);
  ctx.out(table(['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'], rows));
  return 0;
}

/** docker image prune: asks first unless forced. */
export async function imagePruneCommand(ctx: CommandContext, opts: { all: boolean; force: boolean }): Promise<number> {
  if (!opts.force) {
    const what = opts.all ? 'all images without at least one container associated to them' : 'all dangling images';
    ctx.out(`WARNING! This will remove ${what}.\nAre you sure you want to continue? [y/N] `);
    if (!(await confirmed(ctx.io.stdin))) return 0;
  }
  const { lines, reclaimed } = await ctx.engine.pruneImages({ all: opts.all });
  if (lines.length > 0) {
    ctx.out('Deleted Images:\n');
    for (const line of lines) ctx.out('Untagged' in line ? `untagged: ${line.Untagged}\n` : `deleted: ${line.Deleted}\n`);
    ctx.out('\n');
  }
  ctx.out(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
  return 0;
}

export async function importCommand(
  ctx: CommandContext,
  opts: { file: string; ref: string | undefined; changes: string[]; message: string },
): Promise<number> {
  let source: Readable;
  if (opts.file === '-') {
    source = ctx.io.stdin;
  } else {
    const st = await stat(opts.file).catch(() => undefined);
    if (!st) throw new NotFoundError(`open ${opts.file}: no such file or directory`);
    if (!st.isFile()) throw new InvalidArgumentError(`${opts.file} is not a regular file`);
    source = createReadStream(opts.file);
  }
  const id = await ctx.engine.importImage(source, {
    ...(opts.ref ? { ref: opts.ref } : {}),
    changes: opts.changes,
    ...(opts.message ? { message: opts.message } : {}),
    sourceName: opts.file,
  });
  ctx.out(`${id}\n`);
  return 0;
}
