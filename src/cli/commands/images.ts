/** Image commands: images, import. */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { CommandContext } from '../context.js';
import { humanDuration, humanSize, shortId, table } from '../format.js';
import { NotFoundError, InvalidArgumentError } from '../../errors.js';

export async function imagesCommand(ctx: CommandContext, opts: { quiet: boolean; noTrunc: boolean }): Promise<number> {
  const images = await ctx.engine.listImages();
  const id = (i: string): string => (opts.noTrunc ? i : shortId(i));
  if (opts.quiet) {
    ctx.out([...new Set(images.map((i) => id(i.Id)))].map((i) => `${i}\n`).join(''));
    return 0;
  }
  const now = Date.now();
  const rows: string[][] = [];
  for (const img of images) {
    const tags = img.RepoTags.length > 0 ? img.RepoTags : ['<none>:<none>'];
    for (const t of tags) {
      const colon = t.lastIndexOf(':');
      rows.push([t.slice(0, colon), t.slice(colon + 1), id(img.Id), `${humanDuration(now - img.Created * 1000)} ago`, humanSize(img.Size)]);
    }
  }
  ctx.out(table(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'], rows));
  return 0;
}

export async function importCommand(
  ctx: CommandContext,
  opts: { file: string; ref: string | undefined; changes: string[]; message: string },
): Promise<number> {
  let source: Readable;
  if (opts.file === '-') {
    source = process.stdin;
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
