/** `berth diff`, `commit` and `export`: a container's files as changes, an image, a tar. */
import { defineFlags, type FlagSpec } from '../flags.js';
import type { Command } from './index.js';
import type { CommandContext } from '../context.js';
import { InvalidArgumentError, isSystemError } from '../../errors.js';
import { CHANGE_KIND_LETTER } from '../../storage/upper-changes.js';
import { writeFileAtomically, writeToStream } from './archive.js';
import { cpCommand, cpFlags } from './cp.js';

const commitFlags = defineFlags([
  { long: 'author', short: 'a', type: 'string', valueName: 'string', description: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' },
  { long: 'change', short: 'c', type: 'stringArray', valueName: 'list', description: 'Apply Dockerfile instruction to the created image' },
  { long: 'message', short: 'm', type: 'string', valueName: 'string', description: 'Commit message' },
  { long: 'pause', short: 'p', type: 'bool', default: true, description: 'Pause container during commit' },
] as const);

const exportFlags = defineFlags([
  { long: 'output', short: 'o', type: 'string', valueName: 'string', description: 'Write to a file, instead of STDOUT' },
] as const);

const noFlags = defineFlags([] as const);

function command<const S extends readonly FlagSpec[]>(c: Command<S>): Command {
  return c as unknown as Command;
}

async function diffCommand(ctx: CommandContext, ref: string): Promise<number> {
  for (const c of await ctx.engine.containerChanges(ref)) ctx.out(`${CHANGE_KIND_LETTER[c.Kind]} ${c.Path}\n`);
  return 0;
}

async function commitCommand(ctx: CommandContext, ref: string, opts: { repo?: string; author: string; message: string; changes: string[]; pause: boolean }): Promise<number> {
  const id = await ctx.engine.commit(ref, {
    ...(opts.repo !== undefined ? { ref: opts.repo } : {}),
    ...(opts.author !== '' ? { author: opts.author } : {}),
    ...(opts.message !== '' ? { message: opts.message } : {}),
    changes: opts.changes,
    pause: opts.pause,
  });
  ctx.out(`${id}\n`);
  return 0;
}

async function exportCommand(ctx: CommandContext, ref: string, output: string): Promise<number> {
  if (output === '') {
    if (ctx.io.stdout.isTTY) throw new InvalidArgumentError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
    try {
      await writeToStream(ctx.io.stdout, await ctx.engine.exportContainer(ref));
    } catch (err) {
      // The reader went away (`berth export c | head -c 512`): SIGPIPE's status, as docker's CLI dies of it.
      if (isSystemError(err, 'EPIPE')) return 128 + 13;
      throw err;
    }
    return 0;
  }
  await writeFileAtomically(output, await ctx.engine.exportContainer(ref), 'failed to export container');
  return 0;
}

/** The container filesystem commands, listed in COMMANDS (index.ts). */
export const containerFsCommands: readonly Command[] = [
  command({
    names: ['diff', 'container diff'],
    usage: 'diff CONTAINER',
    description: "Inspect changes to files or directories on a container's filesystem",
    flags: noFlags,
    minArgs: 1,
    maxArgs: 1,
    run: (ctx, p) => diffCommand(ctx, p.positionals[0]!),
  }),
  command({
    names: ['commit', 'container commit'],
    usage: 'commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
    description: "Create a new image from a container's changes",
    flags: commitFlags,
    minArgs: 1,
    maxArgs: 2,
    run: (ctx, p) =>
      commitCommand(ctx, p.positionals[0]!, {
        repo: p.positionals[1],
        author: p.values.author,
        message: p.values.message,
        changes: p.values.change,
        pause: p.values.pause,
      }),
  }),
  command({
    names: ['export', 'container export'],
    usage: 'export [OPTIONS] CONTAINER',
    description: "Export a container's filesystem as a tar archive",
    flags: exportFlags,
    minArgs: 1,
    maxArgs: 1,
    run: (ctx, p) => exportCommand(ctx, p.positionals[0]!, p.values.output),
  }),
  command({
    names: ['cp', 'container cp'],
    usage: 'cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
    description: 'Copy files/folders between a container and the local filesystem',
    flags: cpFlags,
    minArgs: 2,
    maxArgs: 2,
    run: (ctx, p) => cpCommand(ctx, p.positionals[0]!, p.positionals[1]!, { archive: p.values.archive, followLink: p.values['follow-link'] }),
  }),
];
