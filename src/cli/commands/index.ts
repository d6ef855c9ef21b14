/**
 * The table of `berth` commands: each with docker's usage line, flags and a
 * handler that calls the Engine. Management commands (`container ls`, `image ls`)
 * reach the same entries as their top-level names.
 */
import { defineFlags, type FlagSpec, type ParseResult } from '../flags.js';
import type { CommandContext } from '../context.js';
import { createFlags, runFlags } from '../run-flags.js';
import { createCommand, runCommand } from './run.js';
import { cleanupCommand, inspectCommand, killCommand, psCommand, rmCommand, startCommand, waitCommand } from './containers.js';
import { historyCommand, imagePruneCommand, imagesCommand, importCommand, rmiCommand, tagCommand } from './images.js';
import { pullCommand } from './pull.js';
import { pushCommand } from './push.js';
import { systemDfCommand } from './system.js';
import { loginCommand, logoutCommand } from './login.js';
import { loadCommand, saveCommand } from './archive.js';
import { versionCommand } from './version.js';
import { execCommand, execFlags } from './exec.js';

export interface Command<S extends readonly FlagSpec[] = readonly FlagSpec[]> {
  /** As typed after `berth`; management forms like `container ls` are listed with a space. */
  names: readonly string[];
  usage: string;
  description: string;
  flags: S;
  /** false: flags end at the first positional (run, create), as docker's SetInterspersed(false). */
  interspersed?: boolean;
  minArgs?: number;
  maxArgs?: number;
  hidden?: boolean;
  run(ctx: CommandContext, parsed: ParseResult<S>): Promise<number>;
}

function command<const S extends readonly FlagSpec[]>(c: Command<S>): Command {
  return c as unknown as Command;
}

const psFlags = defineFlags([
  { long: 'all', short: 'a', type: 'bool', description: 'Show all containers (default shows just running)' },
  { long: 'quiet', short: 'q', type: 'bool', description: 'Only display container IDs' },
  { long: 'no-trunc', type: 'bool', description: "Don't truncate output" },
  { long: 'latest', short: 'l', type: 'bool', description: 'Show the latest created container (includes all states)' },
  { long: 'last', short: 'n', type: 'int', default: -1, description: 'Show n last created containers (includes all states)' },
] as const);

const rmFlags = defineFlags([
  { long: 'force', short: 'f', type: 'bool', description: 'Force the removal of a running container (uses SIGKILL)' },
] as const);

const killFlags = defineFlags([
  { long: 'signal', short: 's', type: 'string', default: 'KILL', description: 'Signal to send to the container' },
] as const);

const startFlags = defineFlags([
  { long: 'attach', short: 'a', type: 'bool', description: "Attach STDOUT/STDERR and forward signals" },
  { long: 'interactive', short: 'i', type: 'bool', description: "Attach container's STDIN" },
] as const);

const imagesFlags = defineFlags([
  { long: 'all', short: 'a', type: 'bool', description: 'Show all images (berth keeps no intermediate images, so this lists the same)' },
  { long: 'digests', type: 'bool', description: 'Show digests' },
  { long: 'filter', short: 'f', type: 'stringArray', valueName: 'filter', description: 'Filter output based on conditions provided (dangling=, reference=, label=, before=, since=)' },
  { long: 'format', type: 'string', valueName: 'string', description: "Format output: 'table', 'table TEMPLATE', 'json', or a TEMPLATE of {{.Field}}s" },
  { long: 'quiet', short: 'q', type: 'bool', description: 'Only show image IDs' },
  { long: 'no-trunc', type: 'bool', description: "Don't truncate output" },
] as const);

const rmiFlags = defineFlags([
  { long: 'force', short: 'f', type: 'bool', description: 'Force removal of the image' },
] as const);

const historyFlags = defineFlags([
  { long: 'human', short: 'H', type: 'bool', default: true, description: 'Print sizes and dates in human readable format' },
  { long: 'no-trunc', type: 'bool', description: "Don't truncate output" },
  { long: 'quiet', short: 'q', type: 'bool', description: 'Only show image IDs' },
] as const);

const imagePruneFlags = defineFlags([
  { long: 'all', short: 'a', type: 'bool', description: 'Remove all unused images, not just dangling ones' },
  { long: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
] as const);

const importFlags = defineFlags([
  { long: 'change', short: 'c', type: 'stringArray', valueName: 'list', description: 'Apply Dockerfile instruction to the created image' },
  { long: 'message', short: 'm', type: 'string', description: 'Set commit message for imported image' },
] as const);

const pullFlags = defineFlags([
  { long: 'platform', type: 'string', valueName: 'string', description: 'Set platform if server is multi-platform capable (os/arch[/variant])' },
  { long: 'quiet', short: 'q', type: 'bool', description: 'Suppress verbose output' },
] as const);

const loginFlags = defineFlags([
  { long: 'username', short: 'u', type: 'string', description: 'Username' },
  { long: 'password', short: 'p', type: 'string', description: 'Password or Personal Access Token (PAT)' },
  { long: 'password-stdin', type: 'bool', description: 'Take the Password or Personal Access Token (PAT) from stdin' },
] as const);

const saveFlags = defineFlags([
  { long: 'output', short: 'o', type: 'string', valueName: 'string', description: 'Write to a file, instead of STDOUT' },
] as const);

const loadFlags = defineFlags([
  { long: 'input', short: 'i', type: 'string', valueName: 'string', description: 'Read from tar archive file, instead of STDIN' },
  { long: 'quiet', short: 'q', type: 'bool', description: 'Suppress the load output' },
] as const);

const pushFlags = defineFlags([
  { long: 'quiet', short: 'q', type: 'bool', description: 'Suppress verbose output' },
] as const);

const noFlags = defineFlags([] as const);

export const COMMANDS: readonly Command[] = [
  command({
    names: ['run', 'container run'],
    usage: 'run [OPTIONS] IMAGE [COMMAND] [ARG...]',
    description: 'Create and run a new container from an image',
    flags: runFlags,
    interspersed: false,
    minArgs: 1,
    run: (ctx, p) => runCommand(ctx, p),
  }),
  command({
    names: ['create', 'container create'],
    usage: 'create [OPTIONS] IMAGE [COMMAND] [ARG...]',
    description: 'Create a new container',
    flags: createFlags,
    interspersed: false,
    minArgs: 1,
    run: (ctx, p) => createCommand(ctx, p),
  }),
  command({
    names: ['start', 'container start'],
    usage: 'start [OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Start one or more stopped containers',
    flags: startFlags,
    minArgs: 1,
    run: (ctx, p) => startCommand(ctx, p.positionals, { attach: p.values.attach, interactive: p.values.interactive }),
  }),
  command({
    names: ['exec', 'container exec'],
    usage: 'exec [OPTIONS] CONTAINER COMMAND [ARG...]',
    description: 'Execute a command in a running container',
    flags: execFlags,
    interspersed: false,
    minArgs: 2,
    run: (ctx, p) => execCommand(ctx, p),
  }),
  command({
    names: ['ps', 'container ls', 'container ps', 'container list'],
    usage: 'ps [OPTIONS]',
    description: 'List containers',
    flags: psFlags,
    maxArgs: 0,
    run: (ctx, p) =>
      psCommand(ctx, { all: p.values.all, quiet: p.values.quiet, noTrunc: p.values['no-trunc'], latest: p.values.latest, last: p.values.last }),
  }),
  command({
    names: ['rm', 'container rm', 'container remove'],
    usage: 'rm [OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Remove one or more containers',
    flags: rmFlags,
    minArgs: 1,
    run: (ctx, p) => rmCommand(ctx, p.positionals, p.values.force),
  }),
  command({
    names: ['kill', 'container kill'],
    usage: 'kill [OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Kill one or more running containers',
    flags: killFlags,
    minArgs: 1,
    run: (ctx, p) => killCommand(ctx, p.positionals, p.values.signal),
  }),
  command({
    names: ['wait', 'container wait'],
    usage: 'wait CONTAINER [CONTAINER...]',
    description: 'Block until one or more containers stop, then print their exit codes',
    flags: noFlags,
    minArgs: 1,
    run: (ctx, p) => waitCommand(ctx, p.positionals),
  }),
  command({
    names: ['inspect', 'container inspect', 'image inspect'],
    usage: 'inspect NAME|ID [NAME|ID...]',
    description: 'Return low-level information on containers and images, as JSON',
    flags: noFlags,
    minArgs: 1,
    run: (ctx, p) => inspectCommand(ctx, p.positionals),
  }),
  command({
    names: ['images', 'image ls', 'image list'],
    usage: 'images [OPTIONS] [REPOSITORY[:TAG]]',
    description: 'List images',
    flags: imagesFlags,
    maxArgs: 1,
    run: (ctx, p) =>
      imagesCommand(ctx, {
        all: p.values.all,
        quiet: p.values.quiet,
        noTrunc: p.values['no-trunc'],
        digests: p.values.digests,
        // docker images REPO[:TAG] is a reference filter.
        filters: [...p.values.filter, ...p.positionals.map((r) => `reference=${r}`)],
        format: p.values.format,
      }),
  }),
  command({
    names: ['tag', 'image tag'],
    usage: 'tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
    description: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
    flags: noFlags,
    minArgs: 2,
    maxArgs: 2,
    run: (ctx, p) => tagCommand(ctx, p.positionals[0]!, p.positionals[1]!),
  }),
  command({
    names: ['rmi', 'image rm', 'image remove'],
    usage: 'rmi [OPTIONS] IMAGE [IMAGE...]',
    description: 'Remove one or more images',
    flags: rmiFlags,
    minArgs: 1,
    run: (ctx, p) => rmiCommand(ctx, p.positionals, p.values.force),
  }),
  command({
    names: ['history', 'image history'],
    usage: 'history [OPTIONS] IMAGE',
    description: 'Show the history of an image',
    flags: historyFlags,
    minArgs: 1,
    maxArgs: 1,
    run: (ctx, p) => historyCommand(ctx, p.positionals[0]!, { noTrunc: p.values['no-trunc'], quiet: p.values.quiet, human: p.values.human }),
  }),
  command({
    names: ['image prune'],
    usage: 'image prune [OPTIONS]',
    description: 'Remove unused images',
    flags: imagePruneFlags,
    maxArgs: 0,
    run: (ctx, p) => imagePruneCommand(ctx, { all: p.values.all, force: p.values.force }),
  }),
  command({
    names: ['import', 'image import'],
    usage: 'import [OPTIONS] file|- [REPOSITORY[:TAG]]',
    description: 'Import the contents from a tarball to create a filesystem image',
    flags: importFlags,
    minArgs: 1,
    maxArgs: 2,
    run: (ctx, p) =>
      importCommand(ctx, { file: p.positionals[0]!, ref: p.positionals[1], changes: p.values.change, message: p.values.message }),
  }),
  command({
    names: ['pull', 'image pull'],
    usage: 'pull [OPTIONS] NAME[:TAG|@DIGEST]',
    description: 'Download an image from a registry',
    flags: pullFlags,
    minArgs: 1,
    maxArgs: 1,
    run: (ctx, p) => pullCommand(ctx, p.positionals[0]!, { platform: p.values.platform, quiet: p.values.quiet }),
  }),
  command({
    names: ['push', 'image push'],
    usage: 'push [OPTIONS] NAME[:TAG]',
    description: 'Upload an image to a registry',
    flags: pushFlags,
    minArgs: 1,
    maxArgs: 1,
    run: (ctx, p) => pushCommand(ctx, p.positionals[0]!, { quiet: p.values.quiet }),
  }),
  command({
    names: ['save', 'image save'],
    usage: 'save [OPTIONS] IMAGE [IMAGE...]',
    description: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
    flags: saveFlags,
    minArgs: 1,
    run: (ctx, p) => saveCommand(ctx, { output: p.values.output, refs: p.positionals }),
  }),
  command({
    names: ['load', 'image load'],
    usage: 'load [OPTIONS]',
    description: 'Load an image from a tar archive or STDIN',
    flags: loadFlags,
    maxArgs: 0,
    run: (ctx, p) => loadCommand(ctx, { input: p.values.input, quiet: p.values.quiet }),
  }),
  command({
    names: ['login'],
    usage: 'login [OPTIONS] [SERVER]',
    description: 'Authenticate to a registry (Docker Hub if no server is given)',
    flags: loginFlags,
    maxArgs: 1,
    run: (ctx, p) =>
      loginCommand(ctx, {
        server: p.positionals[0],
        username: p.values.username,
        password: p.values.password,
        passwordStdin: p.values['password-stdin'],
        configDir: ctx.configDir,
      }),
  }),
  command({
    names: ['logout'],
    usage: 'logout [SERVER]',
    description: 'Log out from a registry',
    flags: noFlags,
    maxArgs: 1,
    run: (ctx, p) => logoutCommand(ctx, { server: p.positionals[0], configDir: ctx.configDir }),
  }),
  command({
    names: ['system df'],
    usage: 'system df',
    description: 'Show berth disk usage',
    flags: noFlags,
    maxArgs: 0,
    run: (ctx) => systemDfCommand(ctx),
  }),
  command({
    names: ['version'],
    usage: 'version',
    description: 'Show the berth version information',
    flags: noFlags,
    maxArgs: 0,
    run: (ctx) => versionCommand(ctx),
  }),
  command({
    names: ['container cleanup'],
    usage: 'container cleanup CONTAINER',
    description: "Record a container's exit and release what it held (run by its supervisor)",
    flags: noFlags,
    minArgs: 1,
    hidden: true,
    run: (ctx, p) => cleanupCommand(ctx, p.positionals),
  }),
];

/** Finds the command named by the first one or two words of argv. */
export function findCommand(words: readonly string[]): { command: Command; name: string; rest: string[] } | undefined {
  const two = words.slice(0, 2).join(' ');
  for (const c of COMMANDS) {
    if (c.names.includes(two)) return { command: c, name: two, rest: words.slice(2) };
  }
  const one = words[0] ?? '';
  for (const c of COMMANDS) {
    if (c.names.includes(one)) return { command: c, name: one, rest: words.slice(1) };
  }
  return undefined;
}
