/**
 * A container's record on disk, in the shape of docker's inspect output so the
 * CLI and the API can show it as it is, plus berth's own runtime facts.
 */
import { z } from 'zod';
import { mountOption, mountPoint } from '../volume/mount-types.js';

export const containerStatus = z.enum(['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead']);
export type ContainerStatus = z.infer<typeof containerStatus>;

const identity = z.object({ pid: z.number().int(), startTime: z.number() });

/** docker's RestartPolicy: no, on-failure (MaximumRetryCount 0 = unlimited), always, unless-stopped. */
export const restartPolicy = z.object({
  Name: z.enum(['no', 'on-failure', 'always', 'unless-stopped']),
  MaximumRetryCount: z.number().int().nonnegative(),
});
export type RestartPolicy = z.infer<typeof restartPolicy>;

/** docker's LogConfig. Type json-file (rotated by max-size/max-file) or none. */
export const logConfig = z.object({
  Type: z.enum(['json-file', 'none']),
  Config: z.record(z.string()),
});
export type LogConfig = z.infer<typeof logConfig>;

/** docker's HealthConfig: Test is ["NONE"], ["CMD", …] or ["CMD-SHELL", "…"]; durations in ns (0 = default). */
export const healthConfig = z.object({
  Test: z.array(z.string()),
  Interval: z.number().int().nonnegative().default(0),
  Timeout: z.number().int().nonnegative().default(0),
  StartPeriod: z.number().int().nonnegative().default(0),
  Retries: z.number().int().nonnegative().default(0),
});
export type HealthConfig = z.infer<typeof healthConfig>;

/** docker's State.Health. */
export const healthState = z.object({
  Status: z.enum(['starting', 'healthy', 'unhealthy']),
  FailingStreak: z.number().int(),
  Log: z.array(
    z.object({ Start: z.string(), End: z.string(), ExitCode: z.number().int(), Output: z.string() }),
  ),
});
export type HealthState = z.infer<typeof healthState>;

/** docker's PortBinding; HostIp '' is every address, HostPort '' a free port. */
const portBinding = z.object({ HostIp: z.string(), HostPort: z.string() });
/** docker's PortMap: "80/tcp" → bindings, null for a port exposed but not published. */
export const portMap = z.record(z.array(portBinding).nullable());

/** docker's EndpointSettings: a container's place on one network (addresses only while it runs). */
export const endpointSettings = z.object({
  IPAMConfig: z.object({ IPv4Address: z.string() }).nullable().default(null),
  Links: z.array(z.string()).nullable().default(null),
  Aliases: z.array(z.string()).nullable().default(null),
  MacAddress: z.string().default(''),
  NetworkID: z.string(),
  EndpointID: z.string().default(''),
  Gateway: z.string().default(''),
  IPAddress: z.string().default(''),
  IPPrefixLen: z.number().int().default(0),
  DNSNames: z.array(z.string()).nullable().default(null),
});
export type EndpointSettings = z.infer<typeof endpointSettings>;

const publishedPort = z.object({
  protocol: z.enum(['tcp', 'udp']),
  hostIp: z.string(),
  hostPort: z.number().int(),
  containerPort: z.number().int(),
});

export const containerRecordSchema = z.object({
  Id: z.string().regex(/^[0-9a-f]{64}$/),
  Name: z.string(),
  Created: z.string(),
  /** The image id (sha256:…). */
  Image: z.string(),
  Path: z.string(),
  Args: z.array(z.string()),
  Config: z.object({
    Hostname: z.string(),
    User: z.string(),
    Env: z.array(z.string()),
    Cmd: z.array(z.string()).nullable(),
    Entrypoint: z.array(z.string()).nullable(),
    WorkingDir: z.string(),
    Tty: z.boolean(),
    OpenStdin: z.boolean(),
    Labels: z.record(z.string()),
    /** The image as the user named it. */
    Image: z.string(),
    /** The signal `stop` sends first (docker's --stop-signal / the image's STOPSIGNAL); empty: SIGTERM. */
    StopSignal: z.string().default(''),
    /** Seconds `stop` waits before SIGKILL; null: 10. */
    StopTimeout: z.number().int().nullable().default(null),
    /** The health check (image HEALTHCHECK overridden by --health-*); durations in ns as docker's. */
    Healthcheck: healthConfig.optional(),
    /** docker's Config.Volumes: the image's VOLUMEs and the `-v /path` anonymous volumes. */
    Volumes: z.record(z.object({}).strict()).nullable().default(null),
    /** docker's Config.ExposedPorts: the image's EXPOSE, --expose and -p ports ("80/tcp"). */
    ExposedPorts: z.record(z.object({}).strict()).nullable().default(null),
  }),
  HostConfig: z.object({
    Memory: z.number(),
    NanoCpus: z.number(),
    CpuShares: z.number(),
    PidsLimit: z.number(),
    NetworkMode: z.string(),
    CgroupParent: z.string(),
    CapAdd: z.array(z.string()),
    CapDrop: z.array(z.string()),
    Privileged: z.boolean(),
    AutoRemove: z.boolean(),
    ConsoleSize: z.tuple([z.number(), z.number()]).optional(),
    RestartPolicy: restartPolicy.default({ Name: 'no', MaximumRetryCount: 0 }),
    LogConfig: logConfig.default({ Type: 'json-file', Config: {} }),
    /** `-v` entries as given (docker's Binds); null: none. */
    Binds: z.array(z.string()).nullable().default(null),
    /** `--mount` entries. */
    Mounts: z.array(mountOption).default([]),
    /** `--tmpfs` targets and their options. */
    Tmpfs: z.record(z.string()).default({}),
    ReadonlyRootfs: z.boolean().default(false),
    /** `--volumes-from` entries as given; null: none. */
    VolumesFrom: z.array(z.string()).nullable().default(null),
    /** `-p` (and `-P`) as docker stores them: HostPort '' is picked at start. */
    PortBindings: portMap.default({}),
    PublishAllPorts: z.boolean().default(false),
    /** `--link` as docker stores them: "/db:/web/alias". */
    Links: z.array(z.string()).nullable().default(null),
    Dns: z.array(z.string()).default([]),
    DnsSearch: z.array(z.string()).default([]),
    DnsOptions: z.array(z.string()).default([]),
    /** `--add-host` entries, "name:ip". */
    ExtraHosts: z.array(z.string()).nullable().default(null),
  }),
  /** The networks the container is on (by name) and, while it runs, its addresses and ports. */
  NetworkSettings: z
    .object({
      Ports: portMap.default({}),
      Networks: z.record(endpointSettings).default({}),
    })
    .default({}),
  /** The mounts made at create (volumes, binds, tmpfs), as docker's inspect shows them. */
  Mounts: z.array(mountPoint).default([]),
  State: z.object({
    Status: containerStatus,
    Running: z.boolean(),
    Pid: z.number(),
    ExitCode: z.number(),
    OOMKilled: z.boolean(),
    Error: z.string(),
    StartedAt: z.string(),
    FinishedAt: z.string(),
    Paused: z.boolean().default(false),
    Restarting: z.boolean().default(false),
    Dead: z.boolean().default(false),
    Health: healthState.optional(),
  }),
  /** Times the restart policy restarted the container since it was last started by hand. */
  RestartCount: z.number().int().default(0),
  /** berth's own: what it needs to supervise and clean up the container. */
  Runtime: z.object({
    /** Chain ids of the image's layers, bottom first. */
    layers: z.array(z.string()),
    shim: identity.nullable(),
    process: identity.nullable(),
    cgroup: z.unknown().nullable(),
    /** Set by stop/kill so the restart policy leaves the container down (docker's HasBeenManuallyStopped). */
    stoppedByUser: z.boolean().default(false),
    /** The restart policy's last delay (ms); 0 before the first restart. */
    restartDelayMs: z.number().default(0),
    /** The process waiting out the delay before a restart, while the container is restarting. */
    restarter: identity.nullable().default(null),
    /** The network namespace file pinned for the running container (network/container-network.ts). */
    netns: z.string().nullable().default(null),
    /** The host ports published while it runs; a restart asks for the same ones again. */
    ports: z.array(publishedPort).default([]),
  }),
});

export type ContainerRecord = z.infer<typeof containerRecordSchema>;

/** docker's zero time, used for StartedAt/FinishedAt that have not happened. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';
