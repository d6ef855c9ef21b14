/**
 * The table of `berth` commands: each with docker's usage line, flags and a
 * handler that calls the Engine. Management commands (`container ls`, `image ls`)
 * reach the same entries as their top-level names.
 */
import { defineFlags, type FlagSpec, type ParseResult } from '../flags.js';
import type { CommandContext } from '../context.js';
import { createFlags, runFlags } from '../run-flags.js';
import { createCommand, runCommand } from './run.js';
import { attachCommand, cleanupCommand, killCommand, rmCommand, startCommand, waitCommand } from './containers.js';
import { psCommand } from './ps.js';
import { inspectCommand } from './inspect.js';
import { historyCommand, imagePruneCommand, imagesCommand, importCommand, rmiCommand, tagCommand } from './images.js';
import { pullCommand } from './pull.js';
import { pushCommand } from './push.js';
import { systemDfCommand, systemServiceCommand } from './system.js';
import { loginCommand, logoutCommand } from './login.js';
import { loadCommand, saveCommand } from './archive.js';
import { versionCommand } from './version.js';
import {
  bootCommand,
  containerPruneCommand,
  pauseCommand,
  renameCommand,
  restartCommand,
  restarterCommand,
  statsCommand,
  stopCommand,
  topCommand,
  updateCommand,
} from './lifecycle.js';
import { logsCommand } from './logs.js';
import { containerFsCommands } from './container-fs.js';
import { execCommand, execFlags } from './exec.js';
import { volumeCommands } from './volume.js';
import { networkCommands } from './network.js';
import { portCommand } from './port.js';

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
  /**
   * The berth service may do this command's work in its own process (src/cli/service): it
   * reaches the caller only through ctx.io, names no host path and ends when its work does.
   * A function decides by the flags given.
   */
  served?: boolean | ((parsed: ParseResult<S>) => boolean);
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
  { long: 'size', short: 's', type: 'bool', description: 'Display total file sizes' },
  { long: 'filter', short: 'f', type: 'stringArray', valueName: 'filter', description: 'Filter output based on conditions provided (status=, name=, id=, label=, ancestor=, exited=, before=, since=, health=, network=, publish=, expose=, volume=)' },
  { long: 'format', type: 'string', valueName: 'string', description: "Format output: 'table', 'table TEMPLATE', 'json', or a Go TEMPLATE ({{.ID}}, {{.Names}}, {{.Status}}, {{.Label \"k\"}}…)" },
] as const);

const inspectFlags = defineFlags([
  { long: 'format', short: 'f', type: 'string', valueName: 'string', description: 'Format output using a custom Go template ({{.State.Status}}, {{json .Config}}…)' },
  { long: 'size', short: 's', type: 'bool', description: 'Display total file sizes if the type is container' },
  { long: 'type', type: 'string', valueName: 'string', description: 'Return JSON for specified type (container or image)' },
] as const);

const containerInspectFlags = defineFlags([inspectFlags[0], inspectFlags[1]] as const);
const imageInspectFlags = defineFlags([inspectFlags[0]] as const);

const rmFlags = defineFlags([
  { long: 'force', short: 'f', type: 'bool', description: 'Force the removal of a running container (uses SIGKILL)' },
  { long: 'volumes', short: 'v', type: 'bool', description: 'Remove anonymous volumes associated with the container' },
] as const);

const killFlags = defineFlags([
  { long: 'signal', short: 's', type: 'string', default: 'KILL', description: 'Signal to send to the container' },
] as const);

const startFlags = defineFlags([
  { long: 'attach', short: 'a', type: 'bool', description: "Attach STDOUT/STDERR and forward signals" },
  { long: 'interactive', short: 'i', type: 'bool', description: "Attach container's STDIN" },
  { long: 'detach-keys', type: 'string', description: 'Override the key sequence for detaching a container' },
] as const);

const attachFlags = defineFlags([
  { long: 'detach-keys', type: 'string', description: 'Override the key sequence for detaching a container' },
  { long: 'no-stdin', type: 'bool', description: 'Do not attach STDIN' },
  { long: 'sig-proxy', type: 'bool', default: true, description: 'Proxy all received signals to the process' },
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

const logsFlags = defineFlags([
  { long: 'details', type: 'bool', description: 'Show extra details provided to logs' },
  { long: 'follow', short: 'f', type: 'bool', description: 'Follow log output' },
  { long: 'since', type: 'string', valueName: 'string', description: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
  { long: 'tail', short: 'n', type: 'string', valueName: 'string', default: 'all', description: 'Number of lines to show from the end of the logs' },
  { long: 'timestamps', short: 't', type: 'bool', description: 'Show timestamps' },
  { long: 'until', type: 'string', valueName: 'string', description: 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
] as const);

const noFlags = defineFlags([] as const);

const stopFlags = defineFlags([
  { long: 'time', short: 't', aliases: ['timeout'], type: 'int', description: 'Seconds to wait before killing the container' },
  { long: 'signal', short: 's', type: 'string', description: 'Signal to send to the container' },
] as const);

const updateFlags = defineFlags([
  { long: 'memory', short: 'm', type: 'string', valueName: 'bytes', description: 'Memory limit' },
  { long: 'cpus', type: 'string', valueName: 'decimal', description: 'Number of CPUs' },
  { long: 'cpu-shares', short: 'c', type: 'int', description: 'CPU shares (relative weight)' },
  { long: 'pids-limit', type: 'int', description: 'Tune container pids limit (set -1 for unlimited)' },
  { long: 'restart', type: 'string', description: 'Restart policy to apply when a container exits' },
] as const);

const containerPruneFlags = defineFlags([
  { long: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
  { long: 'filter', type: 'stringArray', valueName: 'filter', description: 'Provide filter values (e.g. "until=<timestamp>")' },
] as const);

const statsFlags = defineFlags([
  { long: 'all', short: 'a', type: 'bool', description: 'Show all containers (default shows just running)' },
  { long: 'no-stream', type: 'bool', description: 'Disable streaming stats and only pull the first result' },
  { long: 'no-trunc', type: 'bool', description: "Don't truncate output" },
  { long: 'format', type: 'string', valueName: 'string', description: "Format output: 'table', 'json', or a TEMPLATE of {{.Field}}s" },
] as const);

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
    run: (ctx, p) =>
      startCommand(ctx, p.positionals, { attach: p.values.attach, interactive: p.values.interactive, detachKeys: p.values['detach-keys'] }),
  }),
  command({
    names: ['attach', 'container attach'],
    usage: 'attach [OPTIONS] CONTAINER',
    description: "Attach local standard input, output, and error streams to a running container",
    flags: attachFlags,
    minArgs: 1,
    maxArgs: 1,
    run: (ctx, p) =>
      attachCommand(ctx, p.positionals[0]!, { noStdin: p.values['no-stdin'], detachKeys: p.values['detach-keys'], sigProxy: p.values['sig-proxy'] }),
  }),
  command({
    names: ['exec', 'container exec'],
    usage: 'exec [OPTIONS] CONTAINER COMMAND [ARG...]',
    description: 'Execute a command in a running container',
    flags: execFlags,
    interspersed: false,
    minArgs: 2,
    served: (p) => p.values['env-file'].length === 0,
    run: (ctx, p) => execCommand(ctx, p),
  }),
  command({
    names: ['ps', 'container ls', 'container ps', 'container list'],
    usage: 'ps [OPTIONS]',
    description: 'List containers',
    flags: psFlags,
    maxArgs: 0,
    served: true,
    run: (ctx, p) =>
      psCommand(ctx, {
        all: p.values.all,
        quiet: p.values.quiet,
        noTrunc: p.values['no-trunc'],
        latest: p.values.latest,
        last: p.values.last,
        size: p.values.size,
        filters: p.values.filter,
        format: p.values.format,
      }),
  }),
  command({
    names: ['rm', 'container rm', 'container remove'],
    usage: 'rm [OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Remove one or more containers',
    flags: rmFlags,
    minArgs: 1,
    run: (ctx, p) => rmCommand(ctx, p.positionals, p.values.force, p.values.volumes),
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
    names: ['stop', 'container stop'],
    usage: 'stop [OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Stop one or more running containers',
    flags: stopFlags,
    minArgs: 1,
    run: (ctx, p) => stopCommand(ctx, p.positionals, { timeout: p.changed.has('time') ? p.values.time : undefined, signal: p.values.signal }),
  }),
  command({
    names: ['restart', 'container restart'],
    usage: 'restart [OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Restart one or more containers',
    flags: stopFlags,
    minArgs: 1,
    run: (ctx, p) => restartCommand(ctx, p.positionals, { timeout: p.changed.has('time') ? p.values.time : undefined, signal: p.values.signal }),
  }),
  command({
    names: ['pause', 'container pause'],
    usage: 'pause CONTAINER [CONTAINER...]',
    description: 'Pause all processes within one or more containers',
    flags: noFlags,
    minArgs: 1,
    run: (ctx, p) => pauseCommand(ctx, p.positionals, true),
  }),
  command({
    names: ['unpause', 'container unpause'],
    usage: 'unpause CONTAINER [CONTAINER...]',
    description: 'Unpause all processes within one or more containers',
    flags: noFlags,
    minArgs: 1,
    run: (ctx, p) => pauseCommand(ctx, p.positionals, false),
  }),
  command({
    names: ['rename', 'container rename'],
    usage: 'rename CONTAINER NEW_NAME',
    description: 'Rename a container',
    flags: noFlags,
    minArgs: 2,
    maxArgs: 2,
    run: (ctx, p) => renameCommand(ctx, p.positionals[0]!, p.positionals[1]!),
  }),
  command({
    names: ['update', 'container update'],
    usage: 'update [OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Update configuration of one or more containers',
    flags: updateFlags,
    minArgs: 1,
    run: (ctx, p) =>
      updateCommand(ctx, p.positionals, {
        memory: p.values.memory,
        cpus: p.values.cpus,
        cpuShares: p.changed.has('cpu-shares') ? p.values['cpu-shares'] : undefined,
        pidsLimit: p.changed.has('pids-limit') ? p.values['pids-limit'] : undefined,
        restart: p.values.restart,
      }),
  }),
  command({
    names: ['container prune'],
    usage: 'container prune [OPTIONS]',
    description: 'Remove all stopped containers',
    flags: containerPruneFlags,
    maxArgs: 0,
    run: (ctx, p) => containerPruneCommand(ctx, { force: p.values.force, filters: p.values.filter }),
  }),
  command({
    names: ['top', 'container top'],
    usage: 'top CONTAINER [ps OPTIONS]',
    description: 'Display the running processes of a container',
    flags: noFlags,
    interspersed: false,
    minArgs: 1,
    served: true,
    run: (ctx, p) => topCommand(ctx, p.positionals[0]!, p.positionals.slice(1)),
  }),
  command({
    names: ['stats', 'container stats'],
    usage: 'stats [OPTIONS] [CONTAINER...]',
    description: 'Display a live stream of container(s) resource usage statistics',
    flags: statsFlags,
    served: (p) => p.values['no-stream'],
    run: (ctx, p) =>
      statsCommand(ctx, p.positionals, { all: p.values.all, noStream: p.values['no-stream'], noTrunc: p.values['no-trunc'], format: p.values.format }),
  }),
  command({
    names: ['port', 'container port'],
    usage: 'port CONTAINER [PRIVATE_PORT[/PROTO]]',
    description: 'List port mappings or a specific mapping for the container',
    flags: noFlags,
    minArgs: 1,
    maxArgs: 2,
    served: true,
    run: (ctx, p) => portCommand(ctx, p.positionals[0]!, p.positionals[1]),
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
    names: ['logs', 'container logs'],
    usage: 'logs [OPTIONS] CONTAINER',
    description: 'Fetch the logs of a container',
    flags: logsFlags,
    minArgs: 1,
    maxArgs: 1,
    served: (p) => !p.values.follow,
    run: (ctx, p) =>
      logsCommand(ctx, p.positionals[0]!, {
        follow: p.values.follow,
        tail: p.values.tail,
        since: p.values.since,
        until: p.values.until,
        timestamps: p.values.timestamps,
        details: p.values.details,
      }),
  }),
  command({
    names: ['inspect'],
    usage: 'inspect [OPTIONS] NAME|ID [NAME|ID...]',
    description: 'Return low-level information on containers and images, as JSON',
    flags: inspectFlags,
    minArgs: 1,
    served: true,
    run: (ctx, p) => inspectCommand(ctx, p.positionals, { format: p.values.format, type: p.values.type, size: p.values.size }),
  }),
  command({
    names: ['container inspect'],
    usage: 'container inspect [OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Display detailed information on one or more containers',
    flags: containerInspectFlags,
    minArgs: 1,
    served: true,
    run: (ctx, p) => inspectCommand(ctx, p.positionals, { format: p.values.format, type: 'container', size: p.values.size }),
  }),
  command({
    names: ['image inspect'],
    usage: 'image inspect [OPTIONS] IMAGE [IMAGE...]',
    description: 'Display detailed information on one or more images',
    flags: imageInspectFlags,
    minArgs: 1,
    served: true,
    run: (ctx, p) => inspectCommand(ctx, p.positionals, { format: p.values.format, type: 'image', size: false }),
  }),
  command({
    names: ['images', 'image ls', 'image list'],
    usage: 'images [OPTIONS] [REPOSITORY[:TAG]]',
    description: 'List images',
    flags: imagesFlags,
    maxArgs: 1,
    served: true,
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
    served: true,
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
  ...containerFsCommands,
  ...volumeCommands,
  ...networkCommands,
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
    served: true,
    run: (ctx) => systemDfCommand(ctx),
  }),
  command({
    names: ['system boot'],
    usage: 'system boot',
    description: 'Start the containers whose restart policy is always or unless-stopped (run once after the host boots)',
    flags: noFlags,
    maxArgs: 0,
    run: (ctx) => bootCommand(ctx),
  }),
  command({
    names: ['system service'],
    usage: 'system service',
    description: 'Keep a warm berth process that berth commands hand their work to (faster ps, exec, inspect, logs and other reads)',
    flags: noFlags,
    maxArgs: 0,
    run: (ctx) => systemServiceCommand(ctx),
  }),
  command({
    names: ['version'],
    usage: 'version',
    description: 'Show the berth version information',
    flags: noFlags,
    maxArgs: 0,
    served: true,
    run: (ctx) => versionCommand(ctx),
  }),
  command({
    names: ['container restarter'],
    usage: 'container restarter CONTAINER',
    description: "Start a container again after its restart policy's delay (run by berth itself)",
    flags: noFlags,
    minArgs: 1,
    maxArgs: 1,
    hidden: true,
    run: (ctx, p) => restarterCommand(ctx, p.positionals[0]!),
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
