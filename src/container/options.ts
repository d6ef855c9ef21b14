/**
 * Options for creating and running a container, as library users pass them to
 * Engine.create/Engine.run. The CLI turns docker-style flags into this shape.
 */
import { z } from 'zod';
import { healthConfig, logConfig, restartPolicy } from './record.js';
import { mountOption } from '../volume/mount-types.js';

const name = z
  .string()
  .regex(/^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'Invalid container name, only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed');

export const capabilityName = z
  .string()
  .transform((s) => s.toUpperCase())
  .transform((s) => (s === 'ALL' || s.startsWith('CAP_') ? s : `CAP_${s}`));

export const createOptionsSchema = z
  .object({
    image: z.string().min(1, 'an image is required'),
    /** Replaces the image's Cmd. */
    cmd: z.array(z.string()).optional(),
    /** Replaces the image's Entrypoint; an empty array clears it (as `--entrypoint ""`). */
    entrypoint: z.array(z.string()).optional(),
    name: name.optional(),
    /** K=V entries, added to (and overriding) the image's Env. */
    env: z.array(z.string().regex(/^[^=]+=/, 'env entries must be KEY=VALUE')).default([]),
    workingDir: z.string().refine((s) => s === '' || s.startsWith('/'), 'the working directory must be an absolute path').optional(),
    user: z.string().optional(),
    hostname: z.string().max(63, 'hostname too long (at most 63 characters)').regex(/^[a-zA-Z0-9]([a-zA-Z0-9.-]*)?$/, 'invalid hostname').optional(),
    tty: z.boolean().default(false),
    /** Keep stdin open for attach (-i). */
    openStdin: z.boolean().default(false),
    autoRemove: z.boolean().default(false),
    /** Memory limit in bytes; 0 means none. Docker's minimum is 6 MiB. */
    memory: z.number().int().nonnegative().refine((n) => n === 0 || n >= 6 * 1024 * 1024, 'Minimum memory limit allowed is 6MB').default(0),
    /** CPU quota in units of 1e-9 CPUs (docker's NanoCpus); 0 means none. */
    nanoCpus: z.number().int().nonnegative().default(0),
    /** Relative CPU weight (docker's CpuShares); 0 means the default. */
    cpuShares: z.number().int().nonnegative().refine((n) => n === 0 || n >= 2, 'cpu shares must be at least 2').default(0),
    /** Maximum number of processes; 0 or negative means none. */
    pidsLimit: z.number().int().default(0),
    /** bridge (default), host, none, container:NAME|ID, or a user network's name or id. */
    networkMode: z.string().min(1, 'the network mode must not be empty').default('bridge'),
    /** `-p` specs as docker takes them: 8080:80, 127.0.0.1::80/udp, 8000-8001:80-81, … */
    publish: z.array(z.string()).default([]),
    /** `-P`: every exposed port to a free host port. */
    publishAll: z.boolean().default(false),
    /** `--expose PORT[/PROTO]` or a range. */
    expose: z.array(z.string()).default([]),
    /** `--link NAME[:ALIAS]` (default bridge only). */
    links: z.array(z.string()).default([]),
    /** `--dns`, `--dns-search`, `--dns-option`: the container's resolv.conf. */
    dns: z.array(z.string().ip({ version: 'v4', message: 'invalid --dns address' }).or(z.string().ip({ version: 'v6' }))).default([]),
    dnsSearch: z.array(z.string()).default([]),
    dnsOptions: z.array(z.string()).default([]),
    /** `--add-host NAME:IP` lines for /etc/hosts. */
    addHosts: z.array(z.string().regex(/^[^:\s]+:\S+$/, 'invalid --add-host: expected NAME:IP')).default([]),
    /** `--ip`: the address on the user network the container is created on. */
    ip: z.string().ip({ version: 'v4', message: 'invalid --ip address' }).optional(),
    /** `--network-alias`: more names on the user network. */
    networkAliases: z.array(z.string().min(1)).default([]),
    /** cgroup parent: absolute paths are from each hierarchy's root, relative ones below the engine's own cgroup. */
    cgroupParent: z.string().optional(),
    capAdd: z.array(capabilityName).default([]),
    capDrop: z.array(capabilityName).default([]),
    privileged: z.boolean().default(false),
    labels: z.record(z.string()).default({}),
    /** Initial terminal size for tty containers. */
    consoleSize: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional(),
    restartPolicy: restartPolicy.default({ Name: 'no', MaximumRetryCount: 0 }),
    /** Log driver and options (json-file: max-size, max-file). */
    logConfig: logConfig.default({ Type: 'json-file', Config: {} }),
    /** Replaces the image's HEALTHCHECK; Test ["NONE"] disables it. */
    healthcheck: healthConfig.optional(),
    /** Signal name or number `stop` sends first; default: the image's STOPSIGNAL, else SIGTERM. */
    stopSignal: z.string().optional(),
    /** Seconds `stop` waits before SIGKILL. */
    stopTimeout: z.number().int().optional(),
    /** `-v` entries: `NAME:/path[:ro|rw]`, `/host:/path[:ro|rw]`, `/path` (docker's HostConfig.Binds). */
    binds: z.array(z.string()).default([]),
    /** `--mount` entries (docker's HostConfig.Mounts). */
    mounts: z.array(mountOption).default([]),
    /** `--tmpfs`: target → options (`size=64m,mode=1777`). */
    tmpfs: z.record(z.string()).default({}),
    /** The root filesystem read-only; volumes, binds and tmpfs stay as they are. */
    readonlyRootfs: z.boolean().default(false),
    /** `C[:ro|rw]`: every volume and bind of container C. */
    volumesFrom: z.array(z.string()).default([]),
  })
  .strict();

export type CreateOptions = z.input<typeof createOptionsSchema>;
export type ParsedCreateOptions = z.output<typeof createOptionsSchema>;

/** What `docker update` changes; absent fields stay as they are. */
export const containerUpdateSchema = z
  .object({
    memory: createOptionsSchema.shape.memory.removeDefault().optional(),
    nanoCpus: createOptionsSchema.shape.nanoCpus.removeDefault().optional(),
    cpuShares: createOptionsSchema.shape.cpuShares.removeDefault().optional(),
    /** 0 or less lifts the limit. */
    pidsLimit: z.number().int().optional(),
    restartPolicy: restartPolicy.optional(),
  })
  .strict();

export type ContainerUpdate = z.input<typeof containerUpdateSchema>;
