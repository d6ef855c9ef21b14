/**
 * A container as `docker inspect` (Engine API 1.41+, /containers/{id}/json) shows it: a view
 * of the record in docker's field order and shapes, with what berth does not have (volumes,
 * published ports, security labels) in docker's empty forms. berth's own runtime facts stay hidden.
 */
import path from 'node:path';
import { MASKED_PATHS, READONLY_PATHS } from '../runtime/shim-spec.js';
import type { ContainerRecord, EndpointSettings } from './record.js';

export interface InspectFacts {
  /** The container's dir (its upper, work and rootfs dirs, etc files and log). */
  dir: string;
  /** The image's layer dirs, top-most first. */
  lowerDirs: readonly string[];
  /** With `inspect -s`. */
  size?: { SizeRw: number; SizeRootFs: number };
}

/** Go marshals a map with its keys sorted; the view keeps that order for templates' json too. */
function sortedMap(m: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.keys(m).sort().map((k) => [k, m[k]!]));
}

const emptyToNull = <T>(xs: readonly T[]): T[] | null => (xs.length > 0 ? [...xs] : null);

function state(rec: ContainerRecord) {
  const s = rec.State;
  return {
    Status: s.Status,
    // docker counts a container waiting out its restart delay as running; berth's record does not.
    Running: s.Running || s.Restarting,
    Paused: s.Paused,
    Restarting: s.Restarting,
    OOMKilled: s.OOMKilled,
    Dead: s.Dead,
    Pid: s.Pid,
    ExitCode: s.ExitCode,
    Error: s.Error,
    StartedAt: s.StartedAt,
    FinishedAt: s.FinishedAt,
    // docker shows Health only for a container with a health check, from its first start on.
    ...(rec.Config.Healthcheck && (s.Health || s.Running) ? { Health: s.Health ?? { Status: 'starting', FailingStreak: 0, Log: [] } } : {}),
  };
}

function hostConfig(rec: ContainerRecord) {
  const h = rec.HostConfig;
  return {
    Binds: h.Binds,
    ContainerIDFile: '',
    LogConfig: { Type: h.LogConfig.Type, Config: sortedMap(h.LogConfig.Config) },
    NetworkMode: h.NetworkMode,
    PortBindings: h.PortBindings,
    RestartPolicy: h.RestartPolicy,
    AutoRemove: h.AutoRemove,
    VolumeDriver: '',
    VolumesFrom: h.VolumesFrom,
    CapAdd: emptyToNull(h.CapAdd),
    CapDrop: emptyToNull(h.CapDrop),
    CgroupnsMode: 'host',
    Dns: h.Dns,
    DnsOptions: h.DnsOptions,
    DnsSearch: h.DnsSearch,
    ExtraHosts: h.ExtraHosts,
    GroupAdd: null,
    IpcMode: 'private',
    Cgroup: '',
    Links: h.Links,
    OomScoreAdj: 0,
    PidMode: '',
    Privileged: h.Privileged,
    PublishAllPorts: h.PublishAllPorts,
    ReadonlyRootfs: h.ReadonlyRootfs,
    SecurityOpt: null,
    UTSMode: '',
    UsernsMode: '',
    ShmSize: 67108864,
    Runtime: 'berth-shim',
    ConsoleSize: h.ConsoleSize ?? [0, 0],
    Isolation: '',
    CpuShares: h.CpuShares,
    Memory: h.Memory,
    NanoCpus: h.NanoCpus,
    CgroupParent: h.CgroupParent,
    BlkioWeight: 0,
    BlkioWeightDevice: [],
    BlkioDeviceReadBps: [],
    BlkioDeviceWriteBps: [],
    BlkioDeviceReadIOps: [],
    BlkioDeviceWriteIOps: [],
    CpuPeriod: 0,
    CpuQuota: 0,
    CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0,
    CpusetCpus: '',
    CpusetMems: '',
    Devices: [],
    DeviceCgroupRules: null,
    DeviceRequests: null,
    KernelMemory: 0,
    KernelMemoryTCP: 0,
    MemoryReservation: 0,
    // docker's default swap limit: as much swap as memory, when memory is limited.
    MemorySwap: h.Memory > 0 ? h.Memory * 2 : 0,
    MemorySwappiness: null,
    OomKillDisable: false,
    PidsLimit: h.PidsLimit > 0 ? h.PidsLimit : null,
    Ulimits: null,
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    // omitempty in docker's HostConfig.
    ...(h.Mounts.length > 0 ? { Mounts: h.Mounts.map(({ NoCopy, ...m }) => (NoCopy ? { ...m, VolumeOptions: { NoCopy } } : m)) } : {}),
    ...(Object.keys(h.Tmpfs).length > 0 ? { Tmpfs: h.Tmpfs } : {}),
    IOMaximumBandwidth: 0,
    MaskedPaths: h.Privileged ? null : [...MASKED_PATHS],
    ReadonlyPaths: h.Privileged ? null : [...READONLY_PATHS],
  };
}

function config(rec: ContainerRecord) {
  const c = rec.Config;
  return {
    Hostname: c.Hostname,
    Domainname: '',
    User: c.User,
    AttachStdin: c.OpenStdin,
    AttachStdout: true,
    AttachStderr: true,
    Tty: c.Tty,
    OpenStdin: c.OpenStdin,
    StdinOnce: false,
    ...(c.ExposedPorts ? { ExposedPorts: c.ExposedPorts } : {}),
    Env: c.Env,
    Cmd: c.Cmd,
    ...(c.Healthcheck ? { Healthcheck: c.Healthcheck } : {}),
    Image: c.Image,
    Volumes: c.Volumes,
    WorkingDir: c.WorkingDir,
    Entrypoint: c.Entrypoint,
    OnBuild: null,
    Labels: sortedMap(c.Labels),
    ...(c.StopSignal ? { StopSignal: c.StopSignal } : {}),
    ...(c.StopTimeout !== null ? { StopTimeout: c.StopTimeout } : {}),
  };
}

/** docker's EndpointSettings in its field order (no IPv6 here). */
function endpoint(ep: EndpointSettings) {
  return {
    IPAMConfig: ep.IPAMConfig,
    Links: ep.Links,
    Aliases: ep.Aliases,
    MacAddress: ep.MacAddress,
    DriverOpts: null,
    NetworkID: ep.NetworkID,
    EndpointID: ep.EndpointID,
    Gateway: ep.Gateway,
    IPAddress: ep.IPAddress,
    IPPrefixLen: ep.IPPrefixLen,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: ep.DNSNames,
  };
}

/** The top-level address fields are the default bridge's, as docker shows them (empty on user networks). */
function networkSettings(rec: ContainerRecord) {
  const n = rec.NetworkSettings;
  const bridge = n.Networks['bridge'];
  return {
    Bridge: '',
    SandboxID: rec.Runtime.netns ? rec.Id : '',
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    Ports: rec.State.Running ? n.Ports : {},
    SandboxKey: rec.Runtime.netns ?? '',
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: bridge?.EndpointID ?? '',
    Gateway: bridge?.Gateway ?? '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    IPAddress: bridge?.IPAddress ?? '',
    IPPrefixLen: bridge?.IPPrefixLen ?? 0,
    IPv6Gateway: '',
    MacAddress: bridge?.MacAddress ?? '',
    Networks: Object.fromEntries(Object.entries(n.Networks).map(([name, ep]) => [name, endpoint(ep)])),
  };
}

export function containerInspectView(rec: ContainerRecord, facts: InspectFacts) {
  const at = (name: string): string => path.join(facts.dir, name);
  const started = !rec.State.StartedAt.startsWith('0001-01-01');
  return {
    Id: rec.Id,
    Created: rec.Created,
    Path: rec.Path,
    Args: rec.Args,
    State: state(rec),
    Image: rec.Image,
    ResolvConfPath: at('resolv.conf'),
    HostnamePath: at('hostname'),
    HostsPath: at('hosts'),
    LogPath: started && rec.HostConfig.LogConfig.Type === 'json-file' ? at(`${rec.Id}-json.log`) : '',
    Name: rec.Name,
    RestartCount: rec.RestartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: hostConfig(rec),
    GraphDriver: {
      Data: {
        LowerDir: facts.lowerDirs.join(':'),
        MergedDir: at('rootfs'),
        UpperDir: at('upper'),
        WorkDir: at('work'),
      },
      Name: 'overlay2',
    },
    ...(facts.size ?? {}),
    Mounts: rec.Mounts.map(({ Options: _tmpfsOptions, ...m }) => m),
    Config: config(rec),
    NetworkSettings: networkSettings(rec),
  };
}

export type ContainerInspect = ReturnType<typeof containerInspectView>;
