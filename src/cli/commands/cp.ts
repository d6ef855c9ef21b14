/**
 * `berth cp`: docker's copy semantics over the Engine's archive calls. A directory copied into
 * an existing directory lands inside it, `SRC/.` copies its contents, a file onto a directory
 * goes inside, a missing destination takes the source's content under the new name, and `-`
 * is a tar on stdin or stdout. Local files are read and written through fds as well: the tar
 * from a container is extracted confined to the destination directory.
 */
import { closeSync, fstatSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { defineFlags } from '../flags.js';
import type { CommandContext } from '../context.js';
import { InvalidArgumentError, NotFoundError, isSystemError } from '../../errors.js';
import { AT, O, addon } from '../../native/addon.js';
import { treeTar } from '../../storage/tree-tar.js';
import { untarInto } from '../../storage/tree-untar.js';
import { isGoDir } from '../../container/path-stat.js';
import type { ContainerPathStat } from '../../container/path-stat.js';
import { writeToStream } from './archive.js';

export const cpFlags = defineFlags([
  { long: 'archive', short: 'a', type: 'bool', description: 'Archive mode (copy all uid/gid information)' },
  { long: 'follow-link', short: 'L', type: 'bool', description: 'Always follow symbol link in SRC_PATH' },
] as const);

interface CpOptions {
  archive: boolean;
  followLink: boolean;
}

interface Endpoint {
  container?: string;
  path: string;
}

/** docker's splitCpArg: a path starting with `/` or `.` is local even with a colon in it. */
function splitArg(arg: string): Endpoint {
  if (arg.startsWith('/') || arg.startsWith('.')) return { path: arg };
  const colon = arg.indexOf(':');
  if (colon <= 0) return { path: arg };
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

/** `dir/.`: the directory's contents rather than the directory. */
function copiesContents(p: string): boolean {
  return p === '.' || p.endsWith('/.');
}

function lastComponent(p: string): string {
  return path.posix.basename(p.replace(/\/+$/, '')) || '/';
}

export async function cpCommand(ctx: CommandContext, src: string, dst: string, opts: CpOptions): Promise<number> {
  const from = splitArg(src);
  const to = splitArg(dst);
  if (from.container !== undefined && to.container !== undefined) throw new InvalidArgumentError('copying between containers is not supported');
  if (from.container === undefined && to.container === undefined) throw new InvalidArgumentError('must specify at least one container source');
  if (from.path === '' || to.path === '') throw new InvalidArgumentError('filesystem path cannot be empty');
  if (from.container !== undefined) return copyOut(ctx, from.container, from.path, to.path, opts);
  return copyIn(ctx, from.path, to.container!, to.path, opts);
}

async function copyOut(ctx: CommandContext, container: string, srcPath: string, dstPath: string, opts: CpOptions): Promise<number> {
  const { stat: srcStat, stream } = await ctx.engine.getArchive(container, srcPath, { followLink: opts.followLink });
  try {
    if (dstPath === '-') {
      await writeToStream(ctx.io.stdout, stream);
      return 0;
    }
    const srcIsDir = isGoDir(srcStat.mode);
    const dstStat = await stat(dstPath).catch((err: unknown) => {
      if (isSystemError(err, 'ENOENT')) return undefined;
      throw err;
    });
    let dir: string;
    let rebase: { from: string; to: string } | undefined;
    const tarName = srcStat.name === '/' ? '.' : srcStat.name;
    if (dstStat?.isDirectory()) {
      dir = dstPath;
      // `dir/.` lands as the destination's contents; anything else inside it under its own name.
      if (srcIsDir && copiesContents(srcPath)) rebase = { from: '.', to: '.' };
    } else if (dstStat) {
      if (srcIsDir) throw new InvalidArgumentError(`cannot overwrite non-directory "${dstPath}" with directory "${srcPath}"`);
      dir = path.dirname(dstPath);
      rebase = { from: tarName, to: path.basename(dstPath) };
    } else {
      if (/\/\.?$/.test(dstPath) && !srcIsDir) throw new NotFoundError(`destination directory ${JSON.stringify(dstPath)} does not exist`);
      dir = path.dirname(dstPath.replace(/\/+$/, ''));
      const parent = await stat(dir).catch(() => undefined);
      if (!parent?.isDirectory()) throw new NotFoundError(`lstat ${dir}: no such file or directory`);
      rebase = { from: tarName, to: path.basename(dstPath.replace(/\/+$/, '')) };
    }
    const rootFd = addon().openat2(AT.FDCWD, dir, O.PATH | O.DIRECTORY, 0, 0);
    try {
      // Out of a container files become the caller's, as docker's CLI extracts them; -a keeps the container's owners.
      await untarInto(rootFd, '', stream, {
        label: `the archive of ${container}:${srcPath}`,
        ...(opts.archive ? {} : { owner: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 } }),
        ...(rebase ? { rebase } : {}),
      });
    } finally {
      closeSync(rootFd);
    }
    return 0;
  } finally {
    await stream.return(undefined);
  }
}

/** The container path's stat, following a symlink at the destination itself as docker's CLI does. */
async function destinationStat(ctx: CommandContext, container: string, dstPath: string): Promise<{ path: string; stat?: ContainerPathStat }> {
  let st: ContainerPathStat;
  try {
    st = await ctx.engine.statContainerPath(container, dstPath);
  } catch (err) {
    if (err instanceof NotFoundError && !/^No such container/.test(err.message)) return { path: dstPath };
    throw err;
  }
  if (st.linkTarget === '') return { path: dstPath, stat: st };
  const target = path.posix.isAbsolute(st.linkTarget) ? st.linkTarget : path.posix.join(path.posix.dirname(dstPath), st.linkTarget);
  try {
    return { path: target, stat: await ctx.engine.statContainerPath(container, target) };
  } catch (err) {
    if (err instanceof NotFoundError && !/^No such container/.test(err.message)) return { path: target };
    throw err;
  }
}

async function copyIn(ctx: CommandContext, srcPath: string, container: string, dstPath: string, opts: CpOptions): Promise<number> {
  const extract = { copyUIDGID: opts.archive, noOverwriteDirNonDir: true };
  const dst = await destinationStat(ctx, container, dstPath);
  if (srcPath === '-') {
    if (!dst.stat || !isGoDir(dst.stat.mode)) throw new InvalidArgumentError(`destination "${container}:${dstPath}" must be a directory`);
    await ctx.engine.putArchive(container, dst.path, ctx.io.stdin, extract);
    return 0;
  }
  let srcFd: number;
  try {
    srcFd = addon().openat2(AT.FDCWD, srcPath, O.PATH | (opts.followLink ? 0 : O.NOFOLLOW), 0, 0);
  } catch (err) {
    if (isSystemError(err, 'ENOENT') || isSystemError(err, 'ENOTDIR')) throw new NotFoundError(`lstat ${srcPath}: no such file or directory`);
    throw err;
  }
  try {
    const srcIsDir = fstatSync(srcFd).isDirectory();
    let tarName: string;
    let into: string;
    if (dst.stat && isGoDir(dst.stat.mode)) {
      into = dst.path;
      tarName = srcIsDir && copiesContents(srcPath) ? '.' : lastComponent(srcPath);
    } else if (dst.stat) {
      if (srcIsDir) throw new InvalidArgumentError('cannot copy directory');
      into = path.posix.dirname(dst.path);
      tarName = lastComponent(dst.path);
    } else {
      if (/\/\.?$/.test(dst.path) && !srcIsDir) throw new NotFoundError(`Could not find the file ${dst.path} in container ${container}`);
      into = path.posix.dirname(dst.path.replace(/\/+$/, '') || '/');
      tarName = lastComponent(dst.path);
    }
    await ctx.engine.putArchive(container, into, treeTar(srcFd, { name: tarName }), extract);
  } finally {
    closeSync(srcFd);
  }
  return 0;
}
