/**
 * The Engine: what library users import, and what the CLI and the API call.
 * It wires the image store, layer store, cgroups and supervisor together.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname as hostHostname } from 'node:os';
import path from 'node:path';
import { packageRoot, packageVersion } from './package-root.js';
import { treeSize } from './util/tree-size.js';
import { VolumeManager, type VolumeCreateOptions, type VolumeFilters } from './volume/manager.js';
import type { VolumeInspect } from './volume/record.js';
import { MountResolver, configVolumes, parseVolumesFrom, recreateBindSources, type MountRequest } from './volume/container-mounts.js';
import type { MountPoint } from './volume/mount-types.js';
import { NetworkManager, type NetworkCreateOptions, type NetworkCreateResult, type NetworkFilters } from './network/manager.js';
import { attachedContainers } from './network/attached.js';
import type { NetworkInspect } from './network/record.js';
import type { BridgeDriver } from './network/types.js';
import type { Readable } from 'node:stream';
import { readExitRecord } from './runtime/exit-record.js';
import type { ExecHandle, ExecInspect, ExecOptions, Execs } from './container/exec.js';
import { HEALTH_FILE, withHealth } from './container/health.js';
import { DEFAULT_ROOT, DEFAULT_RUN_ROOT, StatePaths } from './paths.js';
import { createLogger, type Logger } from './logger.js';
import { ContainerStore, CorruptRecordError } from './container/store.js';
import type { PullEvent, PullOptions, PullResult } from './image/pull.js';
import { ImageRemover, type RemovalLine } from './image/remove.js';
import type { LoadOptions } from './image/archive.js';
import type { PushEvent, PushResult } from './image/push.js';
import { imageHistory, type ImageHistoryItem } from './image/history.js';
import type { RegistryAuth, RegistryClient } from './image/registry/client.js';
import type { RegistryCredentials } from './image/registry/auth.js';
import { containerUpdateSchema, createOptionsSchema, type ContainerUpdate, type CreateOptions } from './container/options.js';
import { matchesLabels } from './container/labels.js';
import { nextRestartDelay, shouldRestart, startsAtBoot } from './container/restart-policy.js';
import type { ContainerStats } from './container/stats.js';
import { parseSignal, signalNumber } from './runtime/signals.js';
import { setTimeout as delay } from 'node:timers/promises';
import { spawn } from 'node:child_process';
import { logRotation } from './container/log-options.js';
import type { LogStream, LogsOptions } from './container/logs.js';
import { ZERO_TIME, type ContainerRecord, type HealthConfig } from './container/record.js';
import { containerInspectView, type ContainerInspect } from './container/inspect-view.js';
import type { ImageInspect } from './image/inspect.js';
import { containerFilter, validateFilters, type ContainerFilters, type ImageLookup } from './container/filters.js';
import type { ContainerConfig } from './image/config.js';
import { generateName, newContainerId } from './container/names.js';
import { etcFiles } from './container/etc-files.js';
import { ContainerNetworking, networkView, sharedWith, type NetworkView } from './network/container-network.js';
import { NetlinkBridgeDriver } from './network/bridge-driver.js';
import { defaultBridgeName, natTableName } from './network/root-names.js';
import { portMapFrom } from './network/ports.js';
import { buildShimSpec, mergeEnv } from './runtime/container-spec.js';
import { shimsOf, startShim } from './runtime/supervisor.js';
import { boundingSet, capabilitySet, clampToBounding } from './runtime/capabilities.js';
import { AttachSession, type AttachStreams } from './runtime/attach.js';
import { identify, isAlive } from './runtime/process-identity.js';
import { ImageStore, type ImageSummary } from './image/image-store.js';
import { LayerStore, chainIds } from './storage/layer-store.js';
import type { ImportOptions } from './image/import.js';
import { HELLO_WORLD_REF, normalizeReference } from './image/reference.js';
import { createCgroupManager, type CgroupHandle, type CgroupManager } from './cgroup/index.js';
import type { ArchiveOptions, ContainerFiles, ExtractOptions } from './container/filesystem.js';
import type { ContainerPathStat } from './container/path-stat.js';
import type { CommitOptions } from './container/commit.js';
import type { ContainerChange } from './storage/upper-changes.js';
import {
  BerthError,
  ConflictError,
  InvalidArgumentError,
  NotFoundError,
  UnavailableError,
  errorMessage,
  isSystemError,
} from './errors.js';

const SIGKILL = 9;

export interface EngineOptions {
  /** State root (images, layers, containers). Default /var/lib/berth, or $BERTH_ROOT. */
  root?: string;
  /** Runtime dir (attach sockets). Default /run/berth, or $BERTH_RUN_ROOT. */
  runRoot?: string;
  logger?: Logger;
  /** Default cgroup parent for containers that name none ($BERTH_CGROUP_PARENT). */
  cgroupParent?: string;
  /** Registries (`host[:port]`) reachable over plain HTTP besides loopback ones ($BERTH_INSECURE_REGISTRIES, comma-separated). */
  insecureRegistries?: string[];
  /** Answers registries' auth challenges. Default: credentials from configDir's config.json (docker's format). */
  registryAuth?: RegistryAuth;
  /** Where the registry credentials file lives (`config.json`). Default $BERTH_CONFIG, else ~/.berth. */
  configDir?: string;
  /** Makes and removes bridges on the host (tests pass a fake). */
  bridgeDriver?: BridgeDriver;
  /** The default bridge: its interface ($BERTH_BRIDGE, default berth0) and subnet ($BERTH_BRIDGE_SUBNET, else picked). */
  defaultBridge?: { name?: string; subnet?: string };
}

/** The settings an Engine runs with, once options, the environment and the defaults are applied. */
export interface EngineSettings {
  root: string;
  runRoot: string;
  cgroupParent: string | undefined;
  bridgeName: string;
  bridgeSubnet: string | undefined;
}

/** What options leave out comes from the environment ($BERTH_ROOT…), then the defaults; relative paths from cwd. */
export function engineSettings(opts: EngineOptions, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): EngineSettings {
  const root = path.resolve(cwd, opts.root ?? env['BERTH_ROOT'] ?? DEFAULT_ROOT);
  return {
    root,
    runRoot: path.resolve(cwd, opts.runRoot ?? env['BERTH_RUN_ROOT'] ?? DEFAULT_RUN_ROOT),
    cgroupParent: opts.cgroupParent ?? env['BERTH_CGROUP_PARENT'] ?? undefined,
    bridgeName: opts.defaultBridge?.name ?? env['BERTH_BRIDGE'] ?? defaultBridgeName(root),
    bridgeSubnet: opts.defaultBridge?.subnet ?? env['BERTH_BRIDGE_SUBNET'],
  };
}

/** Hooks for the work create does on the way: pulling a missing image. */
export interface CreateHooks {
  /** Called before a missing image is pulled, then with the pull's progress. */
  onPull?: (event: PullEvent | { kind: 'missing'; reference: string }) => void;
}

export interface UsageLine {
  total: number;
  active: number;
  /** Bytes. */
  size: number;
  reclaimable: number;
}

export interface DiskUsage {
  images: UsageLine;
  containers: UsageLine;
  volumes: UsageLine;
}

export interface RunHandle {
  id: string;
  stdout: Readable;
  stderr: Readable;
  /** The container's stdin when it was created with openStdin; end() sends EOF. */
  stdin: NodeJS.WritableStream;
  /** Changes the terminal size of a tty container. */
  resize(rows: number, cols: number): void;
  /** Resolves when the container has exited and berth has cleaned up after it. */
  wait(): Promise<{ exitCode: number; oomKilled: boolean }>;
  /** Drops the connection to the container without stopping it. */
  detach(): void;
}

/** A container waiting for a restart whose restarter process is gone (kill -9, reboot). */
function restarterGone(rec: ContainerRecord): boolean {
  return rec.State.Restarting && !(rec.Runtime.restarter && isAlive(rec.Runtime.restarter));
}

/** Whether p settles within ms; the timer is cleared either way so it keeps no process alive. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  const ac = new AbortController();
  try {
    return await Promise.race([p.then(() => true), delay(ms, false, { signal: ac.signal })]);
  } finally {
    ac.abort();
  }
}

/**
 * The container's health check: --health-* fields override the image's HEALTHCHECK field by
 * field, as docker merges them; a Test of ["NONE"] (--no-healthcheck) disables it.
 */
function healthcheckFor(given: HealthConfig | undefined, image: ContainerConfig['Healthcheck']): { Healthcheck?: HealthConfig } {
  const test = given && given.Test.length > 0 ? given.Test : (image?.Test ?? []);
  if (test.length === 0 || test[0] === 'NONE') return {};
  const pick = (k: 'Interval' | 'Timeout' | 'StartPeriod' | 'Retries'): number => (given?.[k] ? given[k] : (image?.[k] ?? 0));
  return { Healthcheck: { Test: test, Interval: pick('Interval'), Timeout: pick('Timeout'), StartPeriod: pick('StartPeriod'), Retries: pick('Retries') } };
}

/** The CLI script the supervisor runs to clean up after a container exits. */
function cliScript(): string {
  return path.join(packageRoot(), 'bin', 'berth.js');
}

export class Engine {
  readonly paths: StatePaths;
  readonly settings: EngineSettings;
  readonly logger: Logger;
  readonly images: ImageStore;
  readonly layers: LayerStore;
  private readonly containers: ContainerStore;
  /** Named and anonymous volumes (`volume` commands). */
  readonly volumes: VolumeManager;
  /** Bridge, host, none and user networks (`network` commands), with their address leases. */
  readonly networks: NetworkManager;
  private readonly networking: ContainerNetworking;
  private readonly defaultCgroupParent: string | undefined;
  private cgroupManager: CgroupManager | undefined;
  private hostBounding: Set<string> | undefined;
  private readonly insecureRegistries: string[] | undefined;
  private registryAuth: RegistryAuth | undefined;
  private readonly configDir: string | undefined;

  constructor(opts: EngineOptions = {}) {
    this.settings = engineSettings(opts);
    const { root, runRoot } = this.settings;
    this.paths = new StatePaths(root, runRoot);
    this.logger = opts.logger ?? createLogger();
    this.layers = new LayerStore(root);
    this.images = new ImageStore(root);
    this.containers = new ContainerStore(this.paths);
    this.volumes = new VolumeManager(root, this.containers);
    const links = new NetlinkBridgeDriver();
    const bridgeDriver = opts.bridgeDriver ?? links;
    this.networks = new NetworkManager(root, {
      driver: bridgeDriver,
      defaultBridge: { name: this.settings.bridgeName, subnet: this.settings.bridgeSubnet },
      users: {
        attachedContainers: async (networkId) => attachedContainers(await this.containers.list(), networkId),
        locked: (fn) => this.containers.locked(fn),
      },
    });
    this.networking = new ContainerNetworking({
      runRoot,
      containerDir: (id) => this.containers.dir(id),
      logger: this.logger,
      driver: bridgeDriver,
      links,
      natTable: natTableName(root),
      network: async (ref) => networkView(await this.networks.resolve(ref)),
      bridgeNetworks: async () => (await this.networks.store.list()).filter((n) => n.Driver === 'bridge').map(networkView),
      allocate: (networkId, holder, requested) => this.networks.ipam.allocate(networkId, holder, requested),
      release: (networkId, holder) => this.networks.ipam.release(networkId, holder),
    });
    this.defaultCgroupParent = this.settings.cgroupParent;
    this.insecureRegistries = opts.insecureRegistries;
    this.registryAuth = opts.registryAuth;
    this.configDir = opts.configDir;
  }

  /**
   * Pulls an image from its registry (docker.io for names without one) and tags it
   * locally; returns the image id, the manifest digest and the local reference.
   */
  async pull(ref: string, opts: PullOptions = {}): Promise<PullResult> {
    // Loaded on demand: a container start does not pay for the registry code.
    const { Puller } = await import('./image/pull.js');
    const client = await this.registryClient();
    return new Puller(this.images, this.layers, client).pull(ref, opts);
  }

  /**
   * Waits for the work the engine finishes in the background (deleting removed containers'
   * files). Call before the process exits; the engine stays usable afterwards.
   */
  async close(): Promise<void> {
    await this.containers.settle();
  }

  private cgroups(): CgroupManager {
    this.cgroupManager ??= createCgroupManager();
    return this.cgroupManager;
  }

  // ---- images -------------------------------------------------------------

  async listImages(): Promise<ImageSummary[]> {
    return this.images.list();
  }

  async importImage(source: Readable, opts: Omit<ImportOptions, 'source'> = {}): Promise<string> {
    // Loaded on demand: the tar writer and friends cost a CLI start that runs a container.
    const { importImage } = await import('./image/import.js');
    return importImage(this.images, this.layers, { ...opts, source });
  }

  /** `docker push`: the image ref names to its registry, under that name and tag. */
  async push(ref: string, onProgress?: (event: PushEvent) => void): Promise<PushResult> {
    const { Pusher } = await import('./image/push.js');
    const client = await this.registryClient();
    return new Pusher(this.images, this.layers, client).push(ref, onProgress);
  }

  /**
   * `docker save`: the images as a docker-archive tar stream (docker load reads it). Every
   * reference is found before the first byte comes.
   */
  async *saveImages(refs: readonly string[]): AsyncGenerator<Buffer> {
    const { saveImages } = await import('./image/archive.js');
    yield* saveImages(this.images, this.layers, refs);
  }

  /** `docker load`: images from a docker-archive (berth's or docker's); returns their ids. */
  async loadImages(source: AsyncIterable<Uint8Array>, opts: LoadOptions): Promise<string[]> {
    const { loadImages } = await import('./image/archive.js');
    return loadImages(this.images, this.layers, source, opts);
  }

  /**
   * Checks credentials with a registry as `docker login` does (the Engine API's POST /auth);
   * storing them is the client's business, as with docker.
   */
  async login(server: string, credentials: RegistryCredentials): Promise<{ Status: string }> {
    const [{ checkLogin }, { insecureRegistriesFromEnv, isLoopbackHost }] = await Promise.all([
      import('./image/registry/login.js'),
      import('./image/registry/client.js'),
    ]);
    const insecure = this.insecureRegistries ?? insecureRegistriesFromEnv();
    await checkLogin(server, credentials, {
      insecure: (host) => isLoopbackHost(host) || insecure.includes(host),
      userAgent: `berth/${packageVersion()}`,
    });
    return { Status: 'Login Succeeded' };
  }

  /** A registry client with this engine's insecure registries and auth (the registry code loads on first use). */
  private async registryClient(): Promise<RegistryClient> {
    const { RegistryClient, insecureRegistriesFromEnv } = await import('./image/registry/client.js');
    return new RegistryClient({
      insecureRegistries: this.insecureRegistries ?? insecureRegistriesFromEnv(),
      userAgent: `berth/${packageVersion()}`,
      auth: await this.authForRegistries(),
    });
  }

  /** The registry auth given, or one answering from the credentials file (read only when a registry asks). */
  private async authForRegistries(): Promise<RegistryAuth> {
    if (!this.registryAuth) {
      const [{ Authenticator }, { credentialsFor, resolveConfigDir }] = await Promise.all([
        import('./image/registry/auth.js'),
        import('./image/registry/credentials.js'),
      ]);
      const configDir = resolveConfigDir(this.configDir);
      this.registryAuth = new Authenticator({ credentials: (host) => credentialsFor(configDir, host), userAgent: `berth/${packageVersion()}` });
    }
    return this.registryAuth;
  }

  /**
   * `docker system df`: images (layers shared between images counted once; reclaimable =
   * layers no container's image needs) and containers (their writable layers; reclaimable =
   * those of containers not running).
   */
  async diskUsage(): Promise<DiskUsage> {
    const containers = await this.list({ all: true });
    const usedImages = new Set(containers.map((c) => c.Image));
    const layerSize = new Map<string, number>();
    const neededLayers = new Set<string>();
    const ids = await this.images.allIds();
    for (const id of ids) {
      const { config } = await this.images.resolve(id);
      for (const chain of chainIds(config.rootfs.diff_ids)) {
        if (!layerSize.has(chain)) layerSize.set(chain, (await this.layers.info(chain).catch(() => undefined))?.size ?? 0);
        if (usedImages.has(id)) neededLayers.add(chain);
      }
    }
    const sum = (xs: Iterable<number>): number => [...xs].reduce((a, b) => a + b, 0);
    let containerSize = 0;
    let containerReclaimable = 0;
    for (const c of containers) {
      const size = await treeSize(path.join(this.containers.dir(c.Id), 'upper'));
      containerSize += size;
      if (!c.State.Running) containerReclaimable += size;
    }
    return {
      images: {
        total: ids.length,
        active: ids.filter((id) => usedImages.has(id)).length,
        size: sum(layerSize.values()),
        reclaimable: sum([...layerSize].filter(([chain]) => !neededLayers.has(chain)).map(([, s]) => s)),
      },
      containers: {
        total: containers.length,
        active: containers.filter((c) => c.State.Running).length,
        size: containerSize,
        reclaimable: containerReclaimable,
      },
      volumes: await this.volumes.usage(),
    };
  }

  /** `docker tag`: points ref at the image source names; returns the normalised ref. */
  async tagImage(source: string, ref: string): Promise<string> {
    return this.images.tag(source, ref);
  }

  /** `docker rmi`: untags, or deletes the image and the layers nothing else needs. */
  async removeImage(ref: string, opts: { force?: boolean } = {}): Promise<RemovalLine[]> {
    return this.containers.locked(() => this.imageRemover().remove(ref, opts));
  }

  /** `docker image prune [-a]`. */
  async pruneImages(opts: { all?: boolean } = {}): Promise<{ lines: RemovalLine[]; reclaimed: number }> {
    return this.containers.locked(() => this.imageRemover().prune(opts));
  }

  /** `docker history`, shaped as the Engine API's ImageHistoryResponseItem list (newest first). */
  async imageHistory(ref: string): Promise<ImageHistoryItem[]> {
    const { id, config } = await this.images.resolve(ref);
    return imageHistory(id, config, await this.images.referencesTo(id), (chain) => this.layers.info(chain).then((i) => i.size, () => 0));
  }

  private imageRemover(): ImageRemover {
    return new ImageRemover(this.images, this.layers, async () =>
      (await this.containers.list()).map((c) => ({ id: c.Id, image: c.Image, running: c.State.Running, layers: c.Runtime.layers })),
    );
  }

  /** Finds an image; the built-in hello-world is made on first use. */
  /** Finds an image; the built-in hello-world is made on first use, any other missing one pulled. */
  private async imageFor(ref: string, hooks: CreateHooks = {}) {
    const normal = normalizeReference(ref);
    try {
      return await this.images.resolve(ref);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      if (normal === HELLO_WORLD_REF) {
        const { ensureHelloWorld } = await import('./image/hello-world.js');
        await ensureHelloWorld(this.images, this.layers);
        return this.images.resolve(ref);
      }
      // An image id (or prefix) that is not here cannot be pulled.
      if (/^(sha256:)?[0-9a-f]{12,64}$/.test(ref)) throw err;
      hooks.onPull?.({ kind: 'missing', reference: normal });
      const pulled = await this.pull(ref, hooks.onPull ? { onProgress: hooks.onPull } : {});
      return this.images.resolve(pulled.id);
    }
  }

  // ---- container filesystem: diff, commit, export, archive (cp) ----------

  private async containerFiles(ref: string): Promise<ContainerFiles> {
    const rec = await this.inspect(ref);
    return { rec, dir: this.containers.dir(rec.Id), lowerDirs: this.layers.lowerDirs(rec.Runtime.layers) };
  }

  /** `docker diff` (GET /containers/{id}/changes): Kind 0 changed, 1 added, 2 deleted, sorted by path. */
  async containerChanges(ref: string): Promise<ContainerChange[]> {
    const { containerChanges } = await import('./container/filesystem.js');
    return containerChanges(await this.containerFiles(ref));
  }

  /** `docker commit` (POST /commit): a new image of the container's changes; returns its id. */
  async commit(ref: string, opts: CommitOptions = {}): Promise<string> {
    const { commitContainer } = await import('./container/commit.js');
    // docker pauses a running container while it reads the changes, so the layer is one moment's state.
    const pause = async (id: string): Promise<() => Promise<void>> => {
      // One paused by its user stays as it is.
      if ((await this.inspect(id)).State.Paused) return async () => undefined;
      await this.pause(id);
      return async () => {
        await this.unpause(id);
      };
    };
    return commitContainer(await this.containerFiles(ref), { images: this.images, layers: this.layers }, opts, pause);
  }

  /**
   * `docker export` (GET /containers/{id}/export): the container's flattened filesystem as a tar.
   * The container is found before the first byte; its files are held only while the stream is iterated.
   */
  async exportContainer(ref: string): Promise<AsyncGenerator<Buffer>> {
    const { exportTar } = await import('./container/filesystem.js');
    return exportTar(await this.containerFiles(ref));
  }

  /** Stat of a path in a container (HEAD /containers/{id}/archive, X-Docker-Container-Path-Stat). */
  async statContainerPath(ref: string, path: string): Promise<ContainerPathStat> {
    const { statPath } = await import('./container/filesystem.js');
    return statPath(await this.containerFiles(ref), path);
  }

  /**
   * A tar of a path in a container (GET /containers/{id}/archive), entries named after the
   * path's last component. The path is checked before; files are held only while the stream is iterated.
   */
  async getArchive(ref: string, path: string, opts: ArchiveOptions = {}): Promise<{ stat: ContainerPathStat; stream: AsyncGenerator<Buffer> }> {
    const { archivePath } = await import('./container/filesystem.js');
    return archivePath(await this.containerFiles(ref), path, opts);
  }

  /** Extracts a tar into a directory of a container (PUT /containers/{id}/archive). */
  async putArchive(ref: string, path: string, source: AsyncIterable<Uint8Array>, opts: ExtractOptions = {}): Promise<void> {
    const { extractInto } = await import('./container/filesystem.js');
    const files = await this.containerFiles(ref);
    // Under the lock a stopped container cannot start while its upper dir is mounted for writing.
    await this.containers.locked(async () => {
      const rec = await this.containers.load(files.rec.Id);
      if (!rec) throw new NotFoundError(`No such container: ${ref}`);
      await extractInto({ ...files, rec }, path, source, opts);
    });
  }

  // ---- volumes ------------------------------------------------------------

  /** `docker volume create`: an existing name is returned as it is. */
  async createVolume(opts: VolumeCreateOptions = {}): Promise<VolumeInspect> {
    return this.volumes.create(opts);
  }

  /** `docker volume ls`: filters dangling=, name=, label=, driver=. */
  async listVolumes(filters: VolumeFilters = {}): Promise<VolumeInspect[]> {
    return this.volumes.list(filters);
  }

  async inspectVolume(name: string): Promise<VolumeInspect> {
    return this.volumes.inspect(name);
  }

  /** `docker volume rm`: refused while any container uses it. */
  async removeVolume(name: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.volumes.remove(name, opts);
  }

  /** `docker volume prune`: unused anonymous volumes (all unused ones with all). */
  async pruneVolumes(opts: { all?: boolean; filters?: VolumeFilters } = {}): Promise<{ deleted: string[]; reclaimed: number }> {
    return this.volumes.prune(opts);
  }

  // ---- networks -----------------------------------------------------------

  /** `docker network create`: a bridge network; its subnet picked from docker's default pools unless given. */
  async createNetwork(opts: NetworkCreateOptions): Promise<NetworkCreateResult> {
    return this.networks.create(opts);
  }

  /** `docker network ls`: filters name=, id=, label=, driver=, scope=, type=custom|builtin, dangling=. */
  async listNetworks(filters: NetworkFilters = {}): Promise<NetworkInspect[]> {
    return this.networks.list(filters);
  }

  /** By name, full id or unique id prefix. */
  async inspectNetwork(ref: string): Promise<NetworkInspect> {
    return this.networks.inspect(ref);
  }

  /** `docker network rm`: refused for bridge, host and none, and while a container is attached. */
  async removeNetwork(ref: string): Promise<void> {
    await this.networks.remove(ref);
  }

  /** `docker network prune`: user networks no container is attached to; filters label=, label!=, until= (unix seconds or RFC 3339). */
  async pruneNetworks(opts: { filters?: NetworkFilters } = {}): Promise<{ deleted: string[] }> {
    return this.networks.prune(opts);
  }

  /**
   * `docker network connect`: the container joins a user network (at once when running, else
   * at its next start), reachable there by its name and aliases.
   */
  async connectNetwork(netRef: string, ref: string, opts: { aliases?: string[]; ip?: string } = {}): Promise<void> {
    await this.changeNetworks(netRef, ref, (rec, net, running) => this.networking.connect(rec, net, opts, running));
  }

  /** `docker network disconnect`: the container leaves the network, its address released. */
  async disconnectNetwork(netRef: string, ref: string): Promise<void> {
    await this.changeNetworks(netRef, ref, (rec, net, running) => this.networking.disconnect(rec, net, running));
  }

  private async changeNetworks(
    netRef: string,
    ref: string,
    change: (rec: ContainerRecord, net: NetworkView, running: ContainerRecord[]) => Promise<void>,
  ): Promise<void> {
    const found = await this.inspect(ref);
    await this.containers.locked(async () => {
      const rec = await this.containers.load(found.Id);
      if (!rec) throw new NotFoundError(`No such container: ${ref}`);
      await change(rec, networkView(await this.networks.resolve(netRef)), await this.runningOthers(rec.Id));
      await this.containers.save(rec, { transient: rec.State.Running });
    });
  }

  /** The running containers but one: whose endpoints the NAT rules and hosts files are made from. */
  private async runningOthers(id: string): Promise<ContainerRecord[]> {
    return (await this.containers.list()).filter((r) => r.State.Running && r.Id !== id);
  }

  /**
   * runningOthers for a container's start, exit or removal; none for one on no network of
   * berth's (none, host): nothing of its networking depends on the others, and listing every
   * record would cost each such start.
   */
  private async networkPeers(rec: ContainerRecord): Promise<ContainerRecord[]> {
    const networked = Object.keys(rec.NetworkSettings.Networks).length > 0 || sharedWith(rec.HostConfig.NetworkMode) !== undefined;
    return networked ? this.runningOthers(rec.Id) : [];
  }

  // ---- containers ---------------------------------------------------------

  async create(options: CreateOptions, hooks: CreateHooks = {}): Promise<ContainerRecord> {
    const parsed = createOptionsSchema.safeParse(options);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      throw new InvalidArgumentError(`${where}${issue?.message ?? 'invalid options'}`);
    }
    const o = parsed.data;
    const image = await this.imageFor(o.image, hooks);
    const ic = image.config.config ?? {};
    const entrypoint = o.entrypoint ?? ic.Entrypoint ?? [];
    // docker: a new entrypoint drops the image's Cmd unless a command is given too.
    const cmd = o.cmd && o.cmd.length > 0 ? o.cmd : o.entrypoint ? [] : (ic.Cmd ?? []);
    const argv = [...entrypoint, ...cmd];
    if (argv.length === 0) throw new InvalidArgumentError('No command specified');
    if ((o.networkMode === 'host' || sharedWith(o.networkMode) !== undefined) && o.hostname) {
      throw new InvalidArgumentError('conflicting options: hostname and the network mode');
    }
    // docker drops published ports in the host's network: there is nothing to map.
    const ports = o.networkMode === 'host' ? { exposed: [], bindings: {} } : portMapFrom({
      publish: o.publish,
      expose: o.expose,
      publishAll: false,
      imageExposed: Object.keys(ic.ExposedPorts ?? {}),
    });
    logRotation(o.logConfig);
    const id = newContainerId();
    const layers = chainIds(image.config.rootfs.diff_ids);
    const now = new Date().toISOString();

    return this.containers.locked(async () => {
      const all = await this.containers.list();
      await this.containers.removeOrphans(all);
      const taken = (n: string): boolean => all.some((r) => r.Name === `/${n}`);
      const name = o.name?.replace(/^\//, '') ?? generateName(taken);
      const holder = all.find((r) => r.Name === `/${name}`);
      if (holder) {
        throw new ConflictError(
          `Conflict. The container name "/${name}" is already in use by container "${holder.Id}". You have to remove (or rename) that container to be able to reuse that name.`,
        );
      }
      const volumesFrom: MountRequest['volumesFrom'][number][] = [];
      for (const spec of o.volumesFrom) {
        const { ref, mode } = parseVolumesFrom(spec);
        volumesFrom.push({ rec: await this.containers.resolve(ref), mode });
      }
      const network = await this.networking.settingsFor({
        networkMode: o.networkMode,
        name,
        ip: o.ip,
        aliases: o.networkAliases,
        links: o.links,
        publishing: o.publish.length > 0 || o.publishAll,
        resolveContainer: (ref) => this.containers.resolve(ref),
      });
      const mountResolver = new MountResolver(this.volumes.store, this.layers.lowerDirs(layers));
      let mounts: MountPoint[];
      try {
        mounts = await mountResolver.resolve({ binds: o.binds, mounts: o.mounts, tmpfs: o.tmpfs, volumesFrom, imageVolumes: Object.keys(ic.Volumes ?? {}) });
      } catch (err) {
        for (const v of mountResolver.madeAnonymous) await this.volumes.store.remove(v);
        throw err;
      }
      const rec: ContainerRecord = {
        Id: id,
        Name: `/${name}`,
        Created: now,
        Image: image.id,
        Path: argv[0]!,
        Args: argv.slice(1),
        Config: {
          Hostname: o.hostname ?? (o.networkMode === 'host' ? hostHostname() : id.slice(0, 12)),
          User: o.user ?? ic.User ?? '',
          Env: mergeEnv(ic.Env ?? [], o.env),
          Cmd: cmd.length > 0 ? cmd : null,
          Entrypoint: entrypoint.length > 0 ? entrypoint : null,
          WorkingDir: o.workingDir ?? ic.WorkingDir ?? '',
          Tty: o.tty,
          OpenStdin: o.openStdin,
          Labels: { ...(ic.Labels ?? {}), ...o.labels },
          Image: o.image,
          StopSignal: o.stopSignal ?? ic.StopSignal ?? '',
          StopTimeout: o.stopTimeout ?? null,
          ...healthcheckFor(o.healthcheck, ic.Healthcheck),
          Volumes: configVolumes(ic.Volumes, o.binds),
          ExposedPorts: ports.exposed.length > 0 ? Object.fromEntries(ports.exposed.map((k) => [k, {}])) : null,
        },
        HostConfig: {
          Memory: o.memory,
          NanoCpus: o.nanoCpus,
          CpuShares: o.cpuShares,
          PidsLimit: o.pidsLimit,
          NetworkMode: network.NetworkMode,
          CgroupParent: o.cgroupParent ?? '',
          CapAdd: o.capAdd,
          CapDrop: o.capDrop,
          Privileged: o.privileged,
          AutoRemove: o.autoRemove,
          ...(o.consoleSize ? { ConsoleSize: o.consoleSize } : {}),
          RestartPolicy: o.restartPolicy,
          LogConfig: o.logConfig,
          Binds: o.binds.length > 0 ? o.binds : null,
          Mounts: o.mounts,
          Tmpfs: o.tmpfs,
          ReadonlyRootfs: o.readonlyRootfs,
          VolumesFrom: o.volumesFrom.length > 0 ? o.volumesFrom : null,
          PortBindings: ports.bindings,
          PublishAllPorts: o.publishAll,
          Links: network.Links,
          Dns: o.dns,
          DnsSearch: o.dnsSearch,
          DnsOptions: o.dnsOptions,
          ExtraHosts: o.addHosts.length > 0 ? o.addHosts : null,
        },
        NetworkSettings: { Ports: {}, Networks: network.Networks },
        Mounts: mounts,
        State: {
          Status: 'created',
          Running: false,
          Pid: 0,
          ExitCode: 0,
          OOMKilled: false,
          Error: '',
          StartedAt: ZERO_TIME,
          FinishedAt: ZERO_TIME,
          Paused: false,
          Restarting: false,
          Dead: false,
        },
        RestartCount: 0,
        Runtime: { layers, shim: null, process: null, cgroup: null, stoppedByUser: false, restartDelayMs: 0, restarter: null, netns: null, ports: [] },
      };
      const dir = this.containers.dir(id);
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        // The overlay's root dir takes the upper dir's mode: it must let every user in, as an image's / does.
        mkdirSync(path.join(dir, 'upper'), { mode: 0o755 });
        mkdirSync(path.join(dir, 'work'), { mode: 0o700 });
        mkdirSync(path.join(dir, 'rootfs'), { mode: 0o755 });
        await this.containers.save(rec);
      } catch (err) {
        await this.containers.remove(id);
        for (const v of mountResolver.madeAnonymous) await this.volumes.store.remove(v);
        throw err;
      }
      this.logger.debug({ container: id }, 'created');
      return rec;
    });
  }

  /** Looks a container up by name or id (prefix), bringing its state up to date first. */
  async inspect(ref: string): Promise<ContainerRecord> {
    const rec = await this.containers.resolve(ref);
    return this.reconcile(rec).then((r) => withHealth(r, this.containers.dir(r.Id)));
  }

  /**
   * The containers, newest first: running ones, or all with `all`; `filters` are docker's
   * ps filters (status=, name=, id=, label=, ancestor=, exited=, before=, since=, health=).
   * A status filter lists stopped containers too, as docker's does.
   */
  async list(opts: { all?: boolean; filters?: ContainerFilters } = {}): Promise<ContainerRecord[]> {
    const filters = opts.filters ?? {};
    validateFilters(filters);
    const recs = await this.containers.list();
    // A --rm container whose supervisor died is removed by its reconcile: it drops out of the list.
    const fresh = await Promise.all(
      recs.map((r) =>
        this.reconcile(r).catch((err: unknown) => {
          if (err instanceof NotFoundError) return undefined;
          throw err;
        }),
      ),
    );
    const live = await Promise.all(fresh.filter((r): r is ContainerRecord => r !== undefined).map((r) => withHealth(r, this.containers.dir(r.Id))));
    const all = opts.all || (filters['status']?.length ?? 0) > 0;
    const keep = Object.keys(filters).length > 0 ? await containerFilter(filters, live, this.imageLookup()) : () => true;
    // docker counts a container waiting to be restarted as running.
    const shown = live.filter((r) => (all || r.State.Running || r.State.Restarting) && keep(r));
    return shown.sort((a, b) => (a.Created < b.Created ? 1 : a.Created > b.Created ? -1 : 0));
  }

  /** Images as the ancestor filter looks them up: by any reference, with their layers. */
  private imageLookup(): ImageLookup {
    const found = (ref: string) =>
      this.images.resolve(ref).then(
        ({ id, config }) => ({ id, diffIds: config.rootfs.diff_ids }),
        (err: unknown) => {
          if (err instanceof NotFoundError || err instanceof InvalidArgumentError) return undefined;
          throw err;
        },
      );
    return {
      resolve: found,
      all: async () => (await Promise.all((await this.images.allIds()).map(found))).filter((i) => i !== undefined),
    };
  }

  /**
   * docker's container sizes: SizeRw, the bytes the container wrote (its upper dir), and
   * SizeRootFs, those plus its image's.
   */
  async containerSize(ref: string): Promise<{ SizeRw: number; SizeRootFs: number }> {
    const rec = await this.containers.resolve(ref);
    const rw = await treeSize(path.join(this.containers.dir(rec.Id), 'upper'));
    const image = await this.images.inspect(rec.Image).then((i) => i.Size, () => 0);
    return { SizeRw: rw, SizeRootFs: rw + image };
  }

  /**
   * Starts a created or exited container. With `attach`, returns a session
   * connected before the process runs, so no output is lost.
   */
  async start(ref: string, attach?: AttachStreams, opts: { byPolicy?: boolean } = {}): Promise<AttachSession | undefined> {
    const found = await this.inspect(ref);
    const id = found.Id;
    const socket = this.paths.attachSocket(id);
    const launched = await this.containers.locked(async () => {
      const rec = await this.containers.load(id);
      if (!rec) throw new NotFoundError(`No such container: ${ref}`);
      if (rec.State.Running) return true;
      if (opts.byPolicy) {
        // A stop, rm or start by hand meanwhile ended this restart: leave the container as it is.
        if (!rec.State.Restarting || rec.Runtime.restarter?.pid !== process.pid || rec.Runtime.stoppedByUser) return false;
        rec.RestartCount += 1;
      } else {
        rec.RestartCount = 0;
        rec.Runtime = { ...rec.Runtime, stoppedByUser: false, restartDelayMs: 0 };
      }
      rec.Runtime.restarter = null;
      await this.launch(rec, socket);
      return true;
    });
    if (!launched) return undefined;
    const session = await AttachSession.connect(socket, attach ?? { stdout: false, stderr: false, stdin: false });
    try {
      await session.start();
    } catch (err) {
      if (err instanceof BerthError && (err.exitCode === 126 || err.exitCode === 127)) {
        // The supervisor still records the exit; wait so the record is final.
        await session.exited.catch(() => undefined);
        // A cleanup client told the supervisor it would clean up itself.
        if (attach?.cleanup) await this.cleanupAfterExit(id);
      }
      session.close();
      throw err;
    }
    if (!attach) {
      session.close();
      return undefined;
    }
    return session;
  }

  /** Creates the container's cgroup and files and starts its supervisor. Called under the lock. */
  private async launch(rec: ContainerRecord, socket: string): Promise<void> {
    const dir = this.containers.dir(rec.Id);
    rmSync(path.join(dir, 'exit.json'), { force: true });
    rmSync(path.join(dir, HEALTH_FILE), { force: true });
    // Execs of an earlier run ended with it (docker forgets them too).
    rmSync(path.join(dir, 'execs'), { recursive: true, force: true });
    mkdirSync(path.dirname(socket), { recursive: true, mode: 0o700 });
    const cgroups = this.cgroups();
    const parent = rec.HostConfig.CgroupParent || this.defaultCgroupParent;
    const handle = await cgroups.create(rec.Id, {
      parent,
      memory: rec.HostConfig.Memory,
      nanoCpus: rec.HostConfig.NanoCpus,
      cpuShares: rec.HostConfig.CpuShares,
      pidsLimit: rec.HostConfig.PidsLimit,
      privileged: rec.HostConfig.Privileged,
    });
    const running = await this.networkPeers(rec);
    let networked = false;
    try {
      recreateBindSources(rec);
      const net = await this.networking.setUp(rec, running);
      networked = true;
      const etcBinds = await etcFiles(dir, rec, net.hosts);
      const capabilities = await this.capabilitiesFor(rec);
      const spec = buildShimSpec(rec, {
        dir,
        lowerDirs: this.layers.lowerDirs(rec.Runtime.layers),
        socket,
        cgroup: cgroups.joinFiles(handle),
        etcBinds,
        capabilities,
        network: net,
        exitCommand: [
          process.execPath,
          cliScript(),
          '--root',
          this.paths.root,
          '--run-root',
          this.paths.runRoot,
          'container',
          'cleanup',
          rec.Id,
        ],
      });
      const started = await startShim(path.join(dir, 'spec'), spec);
      rec.Runtime.shim = identify(started.shimPid) ?? { pid: started.shimPid, startTime: 0 };
      rec.Runtime.process = identify(started.containerPid) ?? { pid: started.containerPid, startTime: 0 };
      rec.Runtime.cgroup = handle;
      rec.State = {
        ...rec.State,
        Status: 'running',
        Running: true,
        Pid: started.containerPid,
        ExitCode: 0,
        OOMKilled: false,
        Error: '',
        StartedAt: new Date().toISOString(),
        FinishedAt: ZERO_TIME,
        Paused: false,
        Restarting: false,
        Dead: false,
      };
      await this.containers.save(rec, { transient: true });
      this.networking.syncPeers(rec, [...running, rec]);
    } catch (err) {
      await cgroups.remove(handle).catch(() => undefined);
      if (networked) await this.networking.tearDown(rec, running);
      if (err instanceof BerthError && (err.exitCode === 126 || err.exitCode === 127)) {
        rec.State = { ...rec.State, Status: 'exited', Running: false, Restarting: false, ExitCode: err.exitCode, Error: err.message };
        if (rec.HostConfig.AutoRemove) {
          await this.containers.remove(rec.Id);
          await this.volumes.removeAnonymous(rec);
        } else await this.containers.save(rec);
      } else {
        rec.State = { ...rec.State, Error: errorMessage(err) };
        await this.containers.save(rec).catch(() => undefined);
      }
      throw err;
    }
  }

  /**
   * The container's capabilities, less those this host withholds from berth itself
   * (CAP_SYS_RESOURCE on these machines): clamped with a warning, never a failed start.
   */
  private async capabilitiesFor(rec: ContainerRecord): Promise<string[]> {
    const wanted = capabilitySet({ capAdd: rec.HostConfig.CapAdd, capDrop: rec.HostConfig.CapDrop, privileged: rec.HostConfig.Privileged });
    this.hostBounding ??= boundingSet(readFileSync('/proc/self/status', 'utf8'));
    const { granted, missing } = clampToBounding(wanted, this.hostBounding);
    if (missing.length > 0) {
      this.logger.warn({ container: rec.Id, missing }, 'the host does not give berth these capabilities; the container runs without them');
    }
    return granted;
  }

  /** create + start with the container's streams attached, like `docker run`. */
  async run(options: CreateOptions, hooks: CreateHooks = {}): Promise<RunHandle> {
    const rec = await this.create(options, hooks);
    try {
      return await this.startAttached(rec.Id, { stdin: rec.Config.OpenStdin });
    } catch (err) {
      if (rec.HostConfig.AutoRemove) await this.removeQuietly(rec.Id);
      throw err;
    }
  }

  /** Starts a container with its output (and stdin if asked) connected, like `docker start -a`. */
  async startAttached(ref: string, opts: { stdin: boolean }): Promise<RunHandle> {
    const rec = await this.inspect(ref);
    const s = (await this.start(rec.Id, { stdout: true, stderr: true, stdin: opts.stdin, cleanup: true }))!;
    // This client told the supervisor it cleans up after the exit itself.
    return this.runHandle(rec.Id, s, async () => (await this.cleanupAfterExit(rec.Id)) ?? (await this.containers.load(rec.Id))?.State);
  }

  /** A RunHandle over an attach session; finish gives the container's final state once it exited. */
  private runHandle(id: string, s: AttachSession, finish: () => Promise<ContainerRecord['State'] | undefined>): RunHandle {
    return {
      id,
      stdout: s.stdout,
      stderr: s.stderr,
      stdin: s.stdin,
      resize: (rows, cols) => s.resize(rows, cols),
      detach: () => s.close(),
      wait: async () => {
        const { exitCode } = await s.exited;
        return { exitCode, oomKilled: (await finish())?.OOMKilled ?? false };
      },
    };
  }

  /**
   * `docker attach`: the output of a running container from now on, and its stdin when it was
   * created with openStdin (unless stdin is false). wait() gives its exit code.
   */
  async attach(ref: string, opts: { stdin?: boolean } = {}): Promise<RunHandle> {
    const rec = await this.inspect(ref);
    const refuse = (r: ContainerRecord): never => {
      if (r.State.Paused) throw new ConflictError('You cannot attach to a paused container, unpause it first');
      throw new ConflictError('You cannot attach to a stopped container, start it first');
    };
    if (!rec.State.Running || rec.State.Paused) refuse(rec);
    let s: AttachSession;
    try {
      s = await AttachSession.connect(this.paths.attachSocket(rec.Id), { stdout: true, stderr: true, stdin: (opts.stdin ?? true) && rec.Config.OpenStdin });
    } catch (err) {
      // The container exited between the look and the connect.
      if (err instanceof UnavailableError) refuse(await this.inspect(rec.Id));
      throw err;
    }
    return this.runHandle(rec.Id, s, async () => (await this.containers.load(rec.Id))?.State);
  }

  /** `docker container inspect`: the container as docker shows it; `size` adds SizeRw and SizeRootFs. */
  async containerInspect(ref: string, opts: { size?: boolean } = {}): Promise<ContainerInspect> {
    const rec = await this.inspect(ref);
    return containerInspectView(rec, {
      dir: this.containers.dir(rec.Id),
      lowerDirs: this.layers.lowerDirs(rec.Runtime.layers),
      ...(opts.size ? { size: await this.containerSize(rec.Id) } : {}),
    });
  }

  /** docker inspect: a container (as docker shows it) or else an image; `type` looks for one kind only. */
  async inspectAny(ref: string, opts: { type?: 'container' | 'image'; size?: boolean } = {}): Promise<ContainerInspect | ImageInspect> {
    if (opts.type !== 'image') {
      try {
        return await this.containerInspect(ref, opts);
      } catch (err) {
        if (!(err instanceof NotFoundError) || opts.type === 'container') throw err;
      }
    }
    try {
      return await this.images.inspect(ref);
    } catch (err) {
      if (err instanceof NotFoundError && opts.type === undefined) throw new NotFoundError(`No such object: ${ref}`);
      throw err;
    }
  }

  /**
   * `docker logs`: the container's output from its json-file log (rotated files included),
   * as entries of stdout and stderr; with follow, until the container exits or signal aborts.
   * Throws before the first entry for an unknown container or a driver that keeps no log.
   */
  async logs(ref: string, opts: LogsOptions = {}): Promise<LogStream> {
    const rec = await this.inspect(ref);
    // Loaded on demand, like pull: a container start does not pay for the log reader.
    const { openContainerLogs } = await import('./container/logs.js');
    const running = async (): Promise<boolean> => (await this.inspect(rec.Id).catch(() => undefined))?.State.Running ?? false;
    return openContainerLogs(this.containers.dir(rec.Id), rec, opts, running);
  }

  /** `docker exec`: a new process in the running container; resolves once it runs (or with -d, is started). */
  async exec(ref: string, opts: ExecOptions): Promise<ExecHandle> {
    const rec = await this.inspect(ref);
    return (await this.execs()).start(rec, opts);
  }

  /** docker's exec inspect, by exec id. */
  async inspectExec(execId: string): Promise<ExecInspect> {
    const ids = (await this.containers.list()).map((r) => r.Id);
    return (await this.execs()).inspect(ids, execId);
  }

  private async execs(): Promise<Execs> {
    const { Execs } = await import('./container/exec.js');
    return new Execs({
      containerDir: (id) => this.containers.dir(id),
      socketPath: (execId) => this.paths.execSocket(execId),
      capabilities: (rec, privileged) => this.capabilitiesFor(privileged ? { ...rec, HostConfig: { ...rec.HostConfig, Privileged: true } } : rec),
      cgroupJoinFiles: (rec) => (rec.Runtime.cgroup ? this.cgroups().joinFiles(rec.Runtime.cgroup as CgroupHandle) : { procs: [], tasks: [] }),
    });
  }

  /** Waits for a container to exit and returns its exit code. */
  async wait(ref: string): Promise<number> {
    const id = (await this.inspect(ref)).Id;
    for (;;) {
      const rec = await this.inspect(id);
      if (!rec.State.Running) return rec.State.ExitCode;
      try {
        const session = await AttachSession.connect(this.paths.attachSocket(id), { stdout: false, stderr: false, stdin: false });
        return (await session.exited).exitCode;
      } catch (err) {
        if (!(err instanceof UnavailableError)) throw err;
      }
      // The socket goes just before the supervisor's exit command records the exit: wait for that.
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * `docker kill`: sends a signal to the container's first process. SIGKILL or the container's
   * stop signal also keeps its restart policy from starting it again, and thaws a paused one.
   */
  async kill(ref: string, signal: NodeJS.Signals | number = 'SIGKILL'): Promise<void> {
    const rec = await this.inspect(ref);
    const ends = signalNumber(signal) === SIGKILL || signalNumber(signal) === signalNumber(this.stopSignal(rec));
    if (rec.State.Restarting && ends) {
      await this.markStoppedByUser(rec.Id);
      return;
    }
    if (!rec.State.Running || !rec.Runtime.process) {
      throw new ConflictError(`Container ${rec.Id} is not running`);
    }
    if (ends) await this.markStoppedByUser(rec.Id);
    if (isAlive(rec.Runtime.process)) process.kill(rec.Runtime.process.pid, signal);
    if (ends && rec.State.Paused) await this.thaw(rec);
  }

  private stopSignal(rec: ContainerRecord): NodeJS.Signals | number {
    return rec.Config.StopSignal ? parseSignal(rec.Config.StopSignal) : 'SIGTERM';
  }

  /**
   * Keeps the restart policy from starting the container again (docker's HasBeenManuallyStopped);
   * a pending restart ends, and its restarter, finding that, quits.
   */
  private async markStoppedByUser(id: string): Promise<void> {
    await this.containers.locked(async () => {
      const rec = await this.containers.load(id);
      if (!rec || (rec.Runtime.stoppedByUser && !rec.State.Restarting)) return;
      rec.Runtime.stoppedByUser = true;
      // It may have exited and be waiting for its restart since the caller looked.
      if (rec.State.Restarting) {
        rec.State = { ...rec.State, Status: 'exited', Restarting: false };
        rec.Runtime.restarter = null;
      }
      await this.containers.save(rec, { transient: rec.State.Running });
    });
  }

  private async thaw(rec: ContainerRecord): Promise<void> {
    const handle = rec.Runtime.cgroup as CgroupHandle | null;
    if (handle) await this.cgroups().setFrozen(handle, false).catch(() => undefined);
  }

  /**
   * `docker stop`: the container's stop signal (its STOPSIGNAL, else SIGTERM), then SIGKILL
   * once timeout seconds (default: its StopTimeout, else 10) have passed. Resolves once it exited.
   */
  async stop(ref: string, opts: { timeout?: number; signal?: NodeJS.Signals | number } = {}): Promise<string> {
    const found = await this.inspect(ref);
    if (!found.State.Running && !found.State.Restarting) return found.Id;
    await this.markStoppedByUser(found.Id);
    // A pending restart may have started it again since it was looked at: stop that run.
    const rec = await this.inspect(found.Id);
    if (!rec.State.Running || !rec.Runtime.process) return rec.Id;
    const timeout = opts.timeout ?? rec.Config.StopTimeout ?? 10;
    const exited = this.waitForExit(rec.Id);
    const signal = opts.signal ?? this.stopSignal(rec);
    try {
      if (isAlive(rec.Runtime.process)) process.kill(rec.Runtime.process.pid, signal);
      if (rec.State.Paused) await this.thaw(rec);
      // docker: a negative timeout waits for ever.
      if (timeout < 0 || (await settlesWithin(exited, timeout * 1000))) {
        await exited;
        return rec.Id;
      }
      if (isAlive(rec.Runtime.process)) process.kill(rec.Runtime.process.pid, 'SIGKILL');
      if (rec.State.Paused) await this.thaw(rec);
      await exited;
    } catch (err) {
      // ESRCH: it exited between the check and the signal; waitForExit settles it.
      if (!isSystemError(err, 'ESRCH')) throw err;
      await exited;
    }
    return rec.Id;
  }

  /** Resolves once the container is no longer running and its exit is recorded. */
  private async waitForExit(id: string): Promise<void> {
    await this.wait(id).catch((err: unknown) => {
      if (!(err instanceof NotFoundError)) throw err;
    });
  }

  /** `docker restart`: stop (as stop does, with its timeout), then start. */
  async restart(ref: string, opts: { timeout?: number } = {}): Promise<string> {
    const id = await this.stop(ref, opts);
    await this.start(id);
    return id;
  }

  /** `docker pause`: freezes every process of the container (cgroup freezer). */
  async pause(ref: string): Promise<string> {
    return this.setPaused(ref, true);
  }

  /** `docker unpause`. */
  async unpause(ref: string): Promise<string> {
    return this.setPaused(ref, false);
  }

  private async setPaused(ref: string, paused: boolean): Promise<string> {
    const { Id: id } = await this.inspect(ref);
    return this.containers.locked(async () => {
      const rec = await this.containers.load(id);
      if (!rec) throw new NotFoundError(`No such container: ${ref}`);
      if (!rec.State.Running || !rec.Runtime.cgroup) throw new ConflictError(`Container ${id} is not running`);
      if (paused && rec.State.Paused) throw new ConflictError(`Container ${id} is already paused`);
      if (!paused && !rec.State.Paused) throw new ConflictError(`Container ${id} is not paused`);
      await this.cgroups().setFrozen(rec.Runtime.cgroup as CgroupHandle, paused);
      rec.State = { ...rec.State, Paused: paused, Status: paused ? 'paused' : 'running' };
      await this.containers.save(rec, { transient: true });
      return id;
    });
  }

  /** `docker rename`: a new name, unique among this root's containers. */
  async rename(ref: string, newName: string): Promise<string> {
    const parsed = createOptionsSchema.shape.name.safeParse(newName);
    if (!parsed.success || newName === '') throw new InvalidArgumentError(`Error when allocating new name: Invalid container name (${newName}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    const name = `/${newName.replace(/^\//, '')}`;
    const { Id: id } = await this.inspect(ref);
    return this.containers.locked(async () => {
      const all = await this.containers.list();
      const rec = all.find((r) => r.Id === id);
      if (!rec) throw new NotFoundError(`No such container: ${ref}`);
      if (rec.Name === name) throw new InvalidArgumentError('Renaming a container with the same name as its current name');
      const holder = all.find((r) => r.Name === name);
      if (holder) {
        throw new ConflictError(
          `Error when allocating new name: Conflict. The container name "${name}" is already in use by container "${holder.Id}". You have to remove (or rename) that container to be able to reuse that name.`,
        );
      }
      rec.Name = name;
      await this.containers.save(rec, { transient: rec.State.Running });
      return id;
    });
  }

  /**
   * `docker container prune`: removes every container that is not running (created, exited,
   * dead), optionally only those matching label=/label!=/until= filters. Returns ids and bytes freed.
   */
  async pruneContainers(filters: { label?: string[]; labelNot?: string[]; until?: number } = {}): Promise<{ deleted: string[]; reclaimed: number }> {
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const rec of await this.list({ all: true })) {
      if (rec.State.Running || rec.State.Restarting) continue;
      if (!matchesLabels(rec.Config.Labels, filters.label ?? [], true) || !matchesLabels(rec.Config.Labels, filters.labelNot ?? [], false)) continue;
      if (filters.until !== undefined && Date.parse(rec.Created) >= filters.until) continue;
      const size = await treeSize(path.join(this.containers.dir(rec.Id), 'upper'));
      try {
        await this.remove(rec.Id);
      } catch (err) {
        // Started or removed by someone else meanwhile.
        if (err instanceof ConflictError || err instanceof NotFoundError) continue;
        throw err;
      }
      deleted.push(rec.Id);
      reclaimed += size;
    }
    return { deleted, reclaimed };
  }

  /**
   * `docker update`: new resource limits (written to the running container's cgroup at once)
   * and restart policy. Only what is given changes.
   */
  async update(ref: string, changes: ContainerUpdate): Promise<string> {
    const parsed = containerUpdateSchema.safeParse(changes);
    if (!parsed.success) throw new InvalidArgumentError(parsed.error.issues[0]?.message ?? 'invalid update');
    const u = parsed.data;
    const { Id: id } = await this.inspect(ref);
    return this.containers.locked(async () => {
      const rec = await this.containers.load(id);
      if (!rec) throw new NotFoundError(`No such container: ${ref}`);
      if (u.restartPolicy && u.restartPolicy.Name !== 'no' && rec.HostConfig.AutoRemove) {
        throw new InvalidArgumentError('Restart policy cannot be updated because AutoRemove is enabled for the container');
      }
      const limits = {
        ...(u.memory !== undefined ? { memory: u.memory } : {}),
        ...(u.nanoCpus !== undefined ? { nanoCpus: u.nanoCpus } : {}),
        ...(u.cpuShares !== undefined ? { cpuShares: u.cpuShares } : {}),
        ...(u.pidsLimit !== undefined ? { pidsLimit: u.pidsLimit } : {}),
      };
      const handle = rec.Runtime.cgroup as CgroupHandle | null;
      if (rec.State.Running && handle && Object.keys(limits).length > 0) await this.cgroups().update(handle, limits);
      rec.HostConfig = {
        ...rec.HostConfig,
        ...(u.memory !== undefined ? { Memory: u.memory } : {}),
        ...(u.nanoCpus !== undefined ? { NanoCpus: u.nanoCpus } : {}),
        ...(u.cpuShares !== undefined ? { CpuShares: u.cpuShares } : {}),
        ...(u.pidsLimit !== undefined ? { PidsLimit: u.pidsLimit } : {}),
        ...(u.restartPolicy ? { RestartPolicy: u.restartPolicy } : {}),
      };
      await this.containers.save(rec, { transient: rec.State.Running });
      return id;
    });
  }

  /**
   * `docker top`: the host's `ps` (with psArgs, default -ef) cut to the container's processes,
   * as the API's {Titles, Processes}.
   */
  async top(ref: string, psArgs: string[] = []): Promise<{ Titles: string[]; Processes: string[][] }> {
    const rec = await this.inspect(ref);
    if (!rec.State.Running || !rec.Runtime.cgroup) throw new ConflictError(`Container ${rec.Id} is not running`);
    const pids = new Set(await this.cgroups().pids(rec.Runtime.cgroup as CgroupHandle));
    const { topOfProcesses } = await import('./container/top.js');
    return topOfProcesses(psArgs.length > 0 ? psArgs : ['-ef'], pids);
  }

  /** One sample of a running container's resource use (`docker stats` takes two to show rates). */
  async stats(ref: string): Promise<ContainerStats> {
    const rec = await this.inspect(ref);
    const { sampleStats } = await import('./container/stats.js');
    if (!rec.State.Running || !rec.Runtime.cgroup || !rec.Runtime.process) return sampleStats(rec, undefined, undefined);
    return sampleStats(rec, await this.cgroups().stats(rec.Runtime.cgroup as CgroupHandle).catch(() => undefined), rec.Runtime.process.pid);
  }

  /**
   * `berth system boot`: after a host reboot (or when a daemon starts), starts the containers
   * whose restart policy is always, or unless-stopped and not stopped by hand. Returns their ids.
   */
  async boot(): Promise<{ started: string[]; failed: { id: string; error: string }[] }> {
    const started: string[] = [];
    const failed: { id: string; error: string }[] = [];
    // Leases no container holds any more (one removed by hand, a store restored from a backup) go back to the pool.
    await this.containers.locked(async () => {
      const ids = new Set((await this.containers.list()).map((r) => r.Id));
      await this.networks.ipam.reap((holder) => ids.has(holder));
    });
    for (const rec of await this.list({ all: true })) {
      if (rec.State.Running || rec.State.Restarting || !startsAtBoot(rec)) continue;
      try {
        await this.start(rec.Id);
        started.push(rec.Id);
      } catch (err) {
        failed.push({ id: rec.Id, error: errorMessage(err) });
      }
    }
    return { started, failed };
  }

  /**
   * Run in a detached process (`berth container restarter`) for a container whose restart
   * policy wants it back: waits out the delay, then starts it unless someone stopped,
   * started or removed it meanwhile.
   */
  async restartAfterDelay(id: string): Promise<void> {
    const rec = await this.containers.load(id);
    if (!rec || !rec.State.Restarting) return;
    await delay(rec.Runtime.restartDelayMs, undefined);
    await this.start(id, undefined, { byPolicy: true }).catch((err: unknown) => {
      this.logger.warn({ container: id, err: errorMessage(err) }, 'restart by policy failed');
    });
  }

  /** `docker rm`; volumes: its anonymous volumes go too (`rm -v`), named ones stay. */
  async remove(ref: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<string> {
    let rec: ContainerRecord;
    try {
      rec = await this.inspect(ref);
    } catch (err) {
      if (!(err instanceof CorruptRecordError) || !opts.force) throw err;
      await this.containers.locked(() => this.containers.remove(err.id));
      return err.id;
    }
    if (rec.State.Restarting) {
      if (!opts.force) {
        throw new ConflictError(
          `You cannot remove a restarting container ${rec.Id}. Stop the container before attempting removal or force remove`,
        );
      }
      const restarter = rec.Runtime.restarter;
      await this.markStoppedByUser(rec.Id);
      // Ours, checked by start time: it would otherwise sleep out its delay for nothing.
      if (restarter && isAlive(restarter)) process.kill(restarter.pid, 'SIGKILL');
    }
    if (rec.State.Running) {
      if (!opts.force) {
        throw new ConflictError(
          `You cannot remove a running container ${rec.Id}. Stop the container before attempting removal or force remove`,
        );
      }
      await this.killAndWaitForSupervisor(rec);
    } else {
      await this.killStrayShims(rec.Id);
    }
    await this.containers.locked(async () => {
      const now = await this.containers.load(rec.Id);
      if (!now) return;
      const fresh = await this.reconcileLocked(now);
      // Without a handle in the record, a start killed after making the cgroup may have left one where create puts it.
      const handle = (fresh?.Runtime.cgroup as CgroupHandle | null | undefined) ?? this.cgroups().handleFor(now.Id, now.HostConfig.CgroupParent || this.defaultCgroupParent);
      await this.cgroups().remove(handle);
      // A start killed half-way may have left its veths, leases, netns and rules.
      const running = await this.networkPeers(now);
      await this.networking.tearDown(fresh ?? now, running);
      await this.containers.remove(rec.Id);
      if (opts.volumes) await this.volumes.removeAnonymous(now);
    });
    return rec.Id;
  }

  private async removeQuietly(id: string): Promise<void> {
    await this.remove(id, { force: true }).catch((err: unknown) => {
      if (!(err instanceof NotFoundError)) throw err;
    });
  }

  /** Ends shims a killed start left for a container its record does not show running (ours: they run its spec). */
  private async killStrayShims(id: string): Promise<void> {
    const pids = shimsOf(path.join(this.containers.dir(id), 'spec'));
    const strays = pids.map((pid) => identify(pid)).filter((p): p is NonNullable<typeof p> => p !== undefined);
    for (const p of strays) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
    const deadline = Date.now() + 5_000;
    while (strays.some((p) => isAlive(p)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }

  private async killAndWaitForSupervisor(rec: ContainerRecord): Promise<void> {
    await this.markStoppedByUser(rec.Id);
    if (rec.Runtime.process && isAlive(rec.Runtime.process)) {
      try {
        process.kill(rec.Runtime.process.pid, 'SIGKILL');
      } catch {
        // It exited on its own meanwhile.
      }
    }
    // A frozen process dies only once thawed.
    if (rec.State.Paused) await this.thaw(rec);
    const shim = rec.Runtime.shim;
    const deadline = Date.now() + 10_000;
    while (shim && isAlive(shim) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /**
   * Run by the supervisor (through `berth container cleanup`) after the container
   * exited: records the exit, releases the cgroup, and removes an --rm container.
   */
  async cleanupAfterExit(id: string): Promise<ContainerRecord['State'] | undefined> {
    return this.containers.locked(async () => {
      const rec = await this.containers.load(id);
      // Another process (the supervisor's exit command, a reconcile) may have done it already.
      if (!rec || !rec.State.Running) return undefined;
      await this.finishExit(rec);
      return rec.State;
    });
  }

  private async readExitRecord(id: string) {
    return readExitRecord(this.containers.file(id, 'exit.json'));
  }

  /** Records an exit and releases what the running container held. Called under the lock. */
  private async finishExit(rec: ContainerRecord, fallback?: { exitCode: number; error: string }): Promise<ContainerRecord | undefined> {
    const exit = await this.readExitRecord(rec.Id);
    const handle = rec.Runtime.cgroup as CgroupHandle | null;
    const cgroups = this.cgroups();
    const oom = handle ? await cgroups.oomKilled(handle).catch(() => false) : false;
    if (handle) await cgroups.remove(handle);
    const running = await this.networkPeers(rec);
    await this.networking.tearDown(rec, running);
    this.networking.syncPeers(rec, running);
    rec.State = {
      ...rec.State,
      Status: 'exited',
      Running: false,
      Paused: false,
      Restarting: false,
      Pid: 0,
      ExitCode: exit?.exitCode ?? fallback?.exitCode ?? 255,
      OOMKilled: oom,
      Error: exit?.error ?? fallback?.error ?? '',
      FinishedAt: exit?.finishedAt ?? new Date().toISOString(),
    };
    rec.Runtime = { ...rec.Runtime, shim: null, process: null, cgroup: null };
    if (rec.HostConfig.AutoRemove) {
      await this.containers.remove(rec.Id);
      await this.volumes.removeAnonymous(rec);
      return undefined;
    }
    // A supervisor that died (fallback) is no exit the policy answers: the next boot does.
    if (!fallback && shouldRestart(rec, rec.State.ExitCode)) this.scheduleRestart(rec);
    await this.containers.save(rec);
    return rec;
  }

  /**
   * Marks the container restarting and starts the detached process that starts it again after
   * the policy's delay (the supervisor that ran this is about to exit, and so may this process).
   */
  private scheduleRestart(rec: ContainerRecord): void {
    const ran = Date.parse(rec.State.FinishedAt) - Date.parse(rec.State.StartedAt);
    rec.Runtime.restartDelayMs = nextRestartDelay(rec.Runtime.restartDelayMs, Number.isFinite(ran) ? ran : 0);
    const child = spawn(
      process.execPath,
      [cliScript(), '--root', this.paths.root, '--run-root', this.paths.runRoot, 'container', 'restarter', rec.Id],
      { detached: true, stdio: 'ignore' },
    );
    child.unref();
    const pid = child.pid;
    rec.Runtime.restarter = pid === undefined ? null : (identify(pid) ?? { pid, startTime: 0 });
    if (rec.Runtime.restarter) rec.State = { ...rec.State, Status: 'restarting', Restarting: true };
  }

  /**
   * Brings a record up to date with reality: a container whose supervisor died
   * (kill -9, host reboot) is shown exited and what it held is released.
   */
  private async reconcile(rec: ContainerRecord): Promise<ContainerRecord> {
    if (!restarterGone(rec) && (!rec.State.Running || (rec.Runtime.shim && isAlive(rec.Runtime.shim)))) return rec;
    const fixed = await this.containers.locked(async () => {
      const now = await this.containers.load(rec.Id);
      return now ? this.reconcileLocked(now) : undefined;
    });
    if (!fixed) throw new NotFoundError(`No such container: ${rec.Id}`);
    return fixed;
  }

  private async reconcileLocked(rec: ContainerRecord): Promise<ContainerRecord | undefined> {
    if (restarterGone(rec)) {
      // The process that was to restart it died (kill -9, reboot): it stays exited until started (or booted).
      rec.State = { ...rec.State, Status: 'exited', Restarting: false };
      rec.Runtime.restarter = null;
      await this.containers.save(rec);
      return rec;
    }
    if (!rec.State.Running || (rec.Runtime.shim && isAlive(rec.Runtime.shim))) return rec;
    // The supervisor is gone: its container must not run on unsupervised.
    if (rec.Runtime.process && isAlive(rec.Runtime.process)) {
      try {
        process.kill(rec.Runtime.process.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    this.logger.warn({ container: rec.Id }, 'supervisor of a running container is gone; marking it exited');
    return this.finishExit(rec, { exitCode: 255, error: 'the container supervisor died' });
  }
}
