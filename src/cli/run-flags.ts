/**
 * The flags of `berth run` and `berth create`, docker's names, letters and help words, and
 * their translation into the library's CreateOptions.
 */
import type { CreateOptions } from '../container/options.js';
import { InvalidArgumentError } from '../errors.js';
import { FlagError, defineFlags, invalidArgument, type FlagSpec, type FlagValues } from './flags.js';
import { parseBindArg, parseMountArg, parseTmpfsArg } from '../volume/mount-args.js';
import { parseBytes, parseCpus, parseDuration, parseEnvArg, parseEnvFile, parseRestartPolicy, type HostEnv } from './units.js';

/** docker's opts.ValidateLabel, then the split docker stores: `K=V` → [K, V], a bare `K` → [K, '']. */
export function parseLabelArg(arg: string): [string, string] {
  const eq = arg.indexOf('=');
  const key = eq < 0 ? arg : arg.slice(0, eq);
  if (key.trim() === '') throw new InvalidArgumentError(`invalid label '${arg}': empty name`);
  if (/[ \t]/.test(key.trim())) throw new InvalidArgumentError(`label '${key.trim()}' contains whitespaces`);
  return [key, eq < 0 ? '' : arg.slice(eq + 1)];
}

/** -e and --env-file, as run, create and exec take them. */
export const ENV_FLAGS = defineFlags([
  {
    long: 'env',
    short: 'e',
    type: 'stringArray',
    valueName: 'list',
    description: 'Set environment variables',
    validate: (v: string) => void parseEnvArg(v, {}),
  },
  { long: 'env-file', type: 'stringArray', valueName: 'list', description: 'Read in a file of environment variables' },
] as const);

export const createFlags = defineFlags([
  { long: 'interactive', short: 'i', type: 'bool', description: 'Keep STDIN open even if not attached' },
  { long: 'tty', short: 't', type: 'bool', description: 'Allocate a pseudo-TTY' },
  {
    long: 'rm',
    type: 'bool',
    description: 'Automatically remove the container and its associated anonymous volumes when it exits',
  },
  { long: 'name', type: 'string', description: 'Assign a name to the container' },
  ...ENV_FLAGS,
  { long: 'workdir', short: 'w', type: 'string', description: 'Working directory inside the container' },
  { long: 'user', short: 'u', type: 'string', description: 'Username or UID (format: <name|uid>[:<group|gid>])' },
  { long: 'hostname', short: 'h', type: 'string', description: 'Container host name' },
  { long: 'entrypoint', type: 'string', description: 'Overwrite the default ENTRYPOINT of the image' },
  {
    long: 'memory',
    short: 'm',
    type: 'string',
    valueName: 'bytes',
    description: 'Memory limit',
    validate: (v: string) => void parseBytes(v),
  },
  { long: 'cpus', type: 'string', valueName: 'decimal', description: 'Number of CPUs', validate: (v: string) => void parseCpus(v) },
  { long: 'cpu-shares', short: 'c', type: 'int', description: 'CPU shares (relative weight)' },
  { long: 'pids-limit', type: 'int', description: 'Tune container pids limit (set -1 for unlimited)' },
  {
    long: 'network',
    aliases: ['net'],
    type: 'string',
    valueName: 'network',
    description: 'Connect a container to a network',
  },
  { long: 'network-alias', aliases: ['net-alias'], type: 'stringArray', valueName: 'list', description: 'Add network-scoped alias for the container' },
  { long: 'ip', type: 'string', valueName: 'string', description: 'IPv4 address (e.g., 172.30.100.104)' },
  { long: 'publish', short: 'p', type: 'stringArray', valueName: 'list', description: "Publish a container's port(s) to the host" },
  { long: 'publish-all', short: 'P', type: 'bool', description: 'Publish all exposed ports to random ports' },
  { long: 'expose', type: 'stringArray', valueName: 'list', description: 'Expose a port or a range of ports' },
  { long: 'link', type: 'stringArray', valueName: 'list', description: 'Add link to another container' },
  { long: 'dns', type: 'stringArray', valueName: 'list', description: 'Set custom DNS servers' },
  { long: 'dns-search', type: 'stringArray', valueName: 'list', description: 'Set custom DNS search domains' },
  { long: 'dns-option', aliases: ['dns-opt'], type: 'stringArray', valueName: 'list', description: 'Set DNS options' },
  { long: 'add-host', type: 'stringArray', valueName: 'list', description: 'Add a custom host-to-IP mapping (host:ip)' },
  { long: 'cgroup-parent', type: 'string', description: 'Optional parent cgroup for the container' },
  { long: 'cap-add', type: 'stringArray', valueName: 'list', description: 'Add Linux capabilities' },
  { long: 'cap-drop', type: 'stringArray', valueName: 'list', description: 'Drop Linux capabilities' },
  { long: 'privileged', type: 'bool', description: 'Give extended privileges to this container' },
  {
    long: 'label',
    short: 'l',
    type: 'stringArray',
    valueName: 'list',
    description: 'Set meta data on a container',
    validate: (v: string) => void parseLabelArg(v),
  },
  {
    long: 'restart',
    type: 'string',
    default: 'no',
    description: 'Restart policy to apply when a container exits',
    validate: (v: string) => void parseRestartPolicy(v),
  },
  { long: 'log-driver', type: 'string', description: 'Logging driver for the container (json-file or none)' },
  { long: 'log-opt', type: 'stringArray', valueName: 'list', description: 'Log driver options (json-file: max-size, max-file)' },
  { long: 'health-cmd', type: 'string', valueName: 'string', description: 'Command to run to check health' },
  { long: 'health-interval', type: 'string', valueName: 'duration', description: 'Time between running the check (ms|s|m|h) (default 0s)', validate: (v: string) => void parseDuration(v) },
  { long: 'health-timeout', type: 'string', valueName: 'duration', description: 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)', validate: (v: string) => void parseDuration(v) },
  { long: 'health-start-period', type: 'string', valueName: 'duration', description: 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)', validate: (v: string) => void parseDuration(v) },
  { long: 'health-retries', type: 'int', description: 'Consecutive failures needed to report unhealthy' },
  { long: 'no-healthcheck', type: 'bool', description: 'Disable any container-specified HEALTHCHECK' },
  { long: 'stop-signal', type: 'string', description: 'Signal to stop the container' },
  { long: 'stop-timeout', type: 'int', description: 'Timeout (in seconds) to stop a container' },
  { long: 'volume', short: 'v', type: 'stringArray', valueName: 'list', description: 'Bind mount a volume', validate: (v: string) => void parseBindArg(v) },
  { long: 'mount', type: 'stringArray', valueName: 'mount', description: 'Attach a filesystem mount to the container', validate: (v: string) => void parseMountArg(v) },
  { long: 'tmpfs', type: 'stringArray', valueName: 'list', description: 'Mount a tmpfs directory', validate: (v: string) => void parseTmpfsArg(v) },
  { long: 'read-only', type: 'bool', description: "Mount the container's root filesystem as read only" },
  { long: 'volumes-from', type: 'stringArray', valueName: 'list', description: 'Mount volumes from the specified container(s)' },
  // docker's help flag is hidden: -h belongs to --hostname here.
  { long: 'help', type: 'bool', hidden: true, description: 'Print usage' },
]);

export const runFlags = defineFlags([
  ...createFlags,
  { long: 'detach', short: 'd', type: 'bool', description: 'Run container in background and print container ID' },
  { long: 'detach-keys', type: 'string', description: 'Override the key sequence for detaching a container' },
]);

/** What toCreateOptions reads of a parse of either table (run's values are a superset of create's). */
export interface ParsedCreateFlags {
  readonly values: FlagValues<typeof createFlags>;
  readonly changed: ReadonlySet<string>;
}

/**
 * The options of `berth run|create [OPTIONS] IMAGE [COMMAND] [ARG...]`. Empty strings mean
 * "not given" as in docker, except `--entrypoint ""`, which clears the image's entrypoint.
 */
export function toCreateOptions(
  parsed: ParsedCreateFlags,
  positionals: readonly string[],
  hostEnv: HostEnv,
  command: 'run' | 'create' = 'run',
): CreateOptions {
  const [image, ...cmd] = positionals;
  if (image === undefined) throw new FlagError(`"berth ${command}" requires at least 1 argument.`);
  const v = parsed.values;

  const options: CreateOptions = {
    image,
    env: environment(v['env-file'], v.env, hostEnv),
    tty: v.tty,
    openStdin: v.interactive,
    autoRemove: v.rm,
    memory: v.memory === '' ? 0 : convert('memory', v.memory, parseBytes),
    nanoCpus: v.cpus === '' ? 0 : convert('cpus', v.cpus, parseCpus),
    cpuShares: v['cpu-shares'],
    pidsLimit: v['pids-limit'],
    capAdd: v['cap-add'],
    capDrop: v['cap-drop'],
    privileged: v.privileged,
    labels: Object.fromEntries(v.label.map((l) => convert('label', l, parseLabelArg))),
  };
  if (cmd.length > 0) options.cmd = cmd;
  // docker passes the entrypoint as one word: `--entrypoint "sh -c"` names a file "sh -c".
  if (v.entrypoint !== '') options.entrypoint = [v.entrypoint];
  else if (parsed.changed.has('entrypoint')) options.entrypoint = [];
  if (v.name !== '') options.name = v.name;
  if (v.workdir !== '') options.workingDir = v.workdir;
  if (v.user !== '') options.user = v.user;
  if (v.hostname !== '') options.hostname = v.hostname;
  if (v['cgroup-parent'] !== '') options.cgroupParent = v['cgroup-parent'];
  if (parsed.changed.has('restart')) {
    options.restartPolicy = convert('restart', v.restart, parseRestartPolicy);
    if (options.restartPolicy.Name !== 'no' && v.rm) throw new FlagError('Conflicting options: --restart and --rm');
  }
  if (v['log-driver'] !== '' || v['log-opt'].length > 0) {
    const driver = v['log-driver'] === '' ? 'json-file' : v['log-driver'];
    if (driver !== 'json-file' && driver !== 'none') throw invalidArgument(spec('log-driver'), driver, 'berth has the json-file and none log drivers');
    options.logConfig = { Type: driver, Config: Object.fromEntries(v['log-opt'].map((o) => convert('log-opt', o, parseKeyValue))) };
  }
  const healthcheck = healthcheckOptions(parsed);
  if (healthcheck) options.healthcheck = healthcheck;
  if (v['stop-signal'] !== '') options.stopSignal = v['stop-signal'];
  if (parsed.changed.has('stop-timeout')) options.stopTimeout = v['stop-timeout'];
  if (v.volume.length > 0) options.binds = v.volume;
  if (v.mount.length > 0) options.mounts = v.mount.map(parseMountArg);
  if (v.tmpfs.length > 0) options.tmpfs = Object.fromEntries(v.tmpfs.map(parseTmpfsArg));
  if (v['read-only']) options.readonlyRootfs = true;
  if (v['volumes-from'].length > 0) options.volumesFrom = v['volumes-from'];
  if (v.network !== '') options.networkMode = v.network === 'default' ? 'bridge' : v.network;
  if (v['network-alias'].length > 0) options.networkAliases = v['network-alias'];
  if (v.ip !== '') options.ip = v.ip;
  if (v.publish.length > 0) options.publish = v.publish;
  if (v['publish-all']) options.publishAll = true;
  if (v.expose.length > 0) options.expose = v.expose;
  if (v.link.length > 0) options.links = v.link;
  if (v.dns.length > 0) options.dns = v.dns;
  if (v['dns-search'].length > 0) options.dnsSearch = v['dns-search'];
  if (v['dns-option'].length > 0) options.dnsOptions = v['dns-option'];
  if (v['add-host'].length > 0) options.addHosts = v['add-host'];
  return options;
}

function parseKeyValue(arg: string): [string, string] {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`invalid key/value pair format: ${arg}`);
  return [arg.slice(0, eq), arg.slice(eq + 1)];
}

/** The --health-* flags as docker's HealthConfig; --no-healthcheck is Test ["NONE"]. */
function healthcheckOptions(parsed: ParsedCreateFlags): CreateOptions['healthcheck'] {
  const v = parsed.values;
  const tuning = ['health-interval', 'health-timeout', 'health-start-period', 'health-retries'].some((f) => parsed.changed.has(f));
  if (v['no-healthcheck']) {
    if (v['health-cmd'] !== '' || tuning) throw new FlagError('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (v['health-cmd'] === '' && !tuning) return undefined;
  if (v['health-retries'] < 0) throw new FlagError('--health-retries cannot be negative');
  const duration = (long: 'health-interval' | 'health-timeout' | 'health-start-period'): number => {
    const ns = v[long] === '' ? 0 : convert(long, v[long], parseDuration);
    if (ns !== 0 && ns < 1e6) throw new FlagError(`--${long} cannot be less than 1ms`);
    return ns;
  };
  return {
    Test: v['health-cmd'] === '' ? [] : ['CMD-SHELL', v['health-cmd']],
    Interval: duration('health-interval'),
    Timeout: duration('health-timeout'),
    StartPeriod: duration('health-start-period'),
    Retries: v['health-retries'],
  };
}

/** docker's order: every --env-file in turn, then -e, so -e overrides a file. */
export function environment(files: readonly string[], args: readonly string[], hostEnv: HostEnv): string[] {
  const fromFiles = files.flatMap((file) => {
    try {
      return parseEnvFile(file, hostEnv);
    } catch (err) {
      // docker reports env-file problems as the bare reason, without naming the flag.
      throw new FlagError((err as Error).message);
    }
  });
  const fromArgs = args.flatMap((arg) => convert('env', arg, (a) => parseEnvArg(a, hostEnv)) ?? []);
  return [...fromFiles, ...fromArgs];
}

type CreateFlagName = (typeof createFlags)[number]['long'];

function spec(long: CreateFlagName): FlagSpec {
  const found = createFlags.find((f) => f.long === long);
  if (found === undefined) throw new Error(`no flag --${long}`);
  return found;
}

/** Runs a value through its parser, reporting a refusal as docker's flag error for that flag. */
function convert<T>(long: CreateFlagName, value: string, parse: (value: string) => T): T {
  try {
    return parse(value);
  } catch (err) {
    throw invalidArgument(spec(long), value, (err as Error).message);
  }
}
