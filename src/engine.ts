/**
 * The Engine: what library users import, and what the CLI and the API call.
 * It wires the image store, layer store, cgroups and supervisor together.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { hostname as hostHostname } from 'node:os';
import path from 'node:path';
import { packageRoot, packageVersion } from './package-root.js';
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
import { createOptionsSchema, type CreateOptions } from './container/options.js';
import { ZERO_TIME, type ContainerRecord, type HealthConfig } from './container/record.js';
import type { ContainerConfig } from './image/config.js';
import { generateName, newContainerId } from './container/names.js';
import { etcFiles } from './container/etc-files.js';
import { buildShimSpec, mergeEnv } from './runtime/container-spec.js';
import { startShim } from './runtime/supervisor.js';
import { boundingSet, capabilitySet, clampToBounding } from './runtime/capabilities.js';
import { AttachSession, type AttachStreams } from './runtime/attach.js';
import { identify, isAlive } from './runtime/process-identity.js';
import { ImageStore, type ImageSummary } from './image/image-store.js';
import { LayerStore, chainIds } from './storage/layer-store.js';
import type { ImportOptions } from './image/import.js';
import { HELLO_WORLD_REF, normalizeReference } from './image/reference.js';
import { createCgroupManager, type CgroupHandle, type CgroupManager } from './cgroup/index.js';
import {
  BerthError,
  ConflictError,
  InvalidArgumentError,
  NotFoundError,
  UnavailableError,
  errorMessage,
} from './errors.js';

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
}

/** Bytes of regular files below dir (not following symlinks); 0 when it does not exist. */
async function treeSize(dir: string): Promise<number> {
  let entries: string[];
  try {
    entries = await readdir(dir, { recursive: true });
  } catch {
    return 0;
  }
  let total = 0;
  for (const e of entries) {
    const st = await lstat(path.join(dir, e)).catch(() => undefined);
    if (st?.isFile()) total += st.size;
  }
  return total;
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
  readonly logger: Logger;
  readonly images: ImageStore;
  readonly layers: LayerStore;
  private readonly containers: ContainerStore;
  private readonly defaultCgroupParent: string | undefined;
  private cgroupManager: CgroupManager | undefined;
  private hostBounding: Set<string> | undefined;
  private readonly insecureRegistries: string[] | undefined;
  private registryAuth: RegistryAuth | undefined;
  private readonly configDir: string | undefined;

  constructor(opts: EngineOptions = {}) {
    const root = path.resolve(opts.root ?? process.env['BERTH_ROOT'] ?? DEFAULT_ROOT);
    const runRoot = path.resolve(opts.runRoot ?? process.env['BERTH_RUN_ROOT'] ?? DEFAULT_RUN_ROOT);
    this.paths = new StatePaths(root, runRoot);
    this.logger = opts.logger ?? createLogger();
    this.layers = new LayerStore(root);
    this.images = new ImageStore(root);
    this.containers = new ContainerStore(this.paths);
    this.defaultCgroupParent = opts.cgroupParent ?? process.env['BERTH_CGROUP_PARENT'] ?? undefined;
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
    if (o.networkMode === 'host' && o.hostname) {
      throw new InvalidArgumentError('conflicting options: hostname and the network mode');
    }
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
        },
        HostConfig: {
          Memory: o.memory,
          NanoCpus: o.nanoCpus,
          CpuShares: o.cpuShares,
          PidsLimit: o.pidsLimit,
          NetworkMode: o.networkMode,
          CgroupParent: o.cgroupParent ?? '',
          CapAdd: o.capAdd,
          CapDrop: o.capDrop,
          Privileged: o.privileged,
          AutoRemove: o.autoRemove,
          ...(o.consoleSize ? { ConsoleSize: o.consoleSize } : {}),
          RestartPolicy: o.restartPolicy,
          LogConfig: o.logConfig,
        },
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
        Runtime: { layers, shim: null, process: null, cgroup: null },
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

  async list(opts: { all?: boolean } = {}): Promise<ContainerRecord[]> {
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
    const shown = opts.all ? live : live.filter((r) => r.State.Running);
    return shown.sort((a, b) => (a.Created < b.Created ? 1 : a.Created > b.Created ? -1 : 0));
  }

  /**
   * Starts a created or exited container. With `attach`, returns a session
   * connected before the process runs, so no output is lost.
   */
  async start(ref: string, attach?: AttachStreams): Promise<AttachSession | undefined> {
    const found = await this.inspect(ref);
    const id = found.Id;
    const socket = this.paths.attachSocket(id);
    await this.containers.locked(async () => {
      const rec = await this.containers.load(id);
      if (!rec) throw new NotFoundError(`No such container: ${ref}`);
      if (rec.State.Running) return;
      await this.launch(rec, socket);
    });
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
    try {
      const etcBinds = await etcFiles(dir, rec);
      const capabilities = await this.capabilitiesFor(rec);
      const spec = buildShimSpec(rec, {
        dir,
        lowerDirs: this.layers.lowerDirs(rec.Runtime.layers),
        socket,
        cgroup: cgroups.joinFiles(handle),
        etcBinds,
        capabilities,
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
      };
      await this.containers.save(rec, { transient: true });
    } catch (err) {
      await cgroups.remove(handle).catch(() => undefined);
      if (err instanceof BerthError && (err.exitCode === 126 || err.exitCode === 127)) {
        rec.State = { ...rec.State, Status: 'exited', Running: false, ExitCode: err.exitCode, Error: err.message };
        if (rec.HostConfig.AutoRemove) await this.containers.remove(rec.Id);
        else await this.containers.save(rec);
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
    return {
      id: rec.Id,
      stdout: s.stdout,
      stderr: s.stderr,
      stdin: s.stdin,
      resize: (rows, cols) => s.resize(rows, cols),
      detach: () => s.close(),
      wait: async () => {
        const { exitCode } = await s.exited;
        const state = (await this.cleanupAfterExit(rec.Id)) ?? (await this.containers.load(rec.Id))?.State;
        return { exitCode, oomKilled: state?.OOMKilled ?? false };
      },
    };
  }

  /** docker inspect: a container (as docker shows it) or else an image. */
  async inspectAny(ref: string): Promise<unknown> {
    try {
      const { Runtime: _runtime, ...shown } = await this.inspect(ref);
      return shown;
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    try {
      return await this.images.inspect(ref);
    } catch (err) {
      if (err instanceof NotFoundError) throw new NotFoundError(`No such object: ${ref}`);
      throw err;
    }
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

  async kill(ref: string, signal: NodeJS.Signals | number = 'SIGKILL'): Promise<void> {
    const rec = await this.inspect(ref);
    if (!rec.State.Running || !rec.Runtime.process) {
      throw new ConflictError(`Container ${rec.Id} is not running`);
    }
    if (isAlive(rec.Runtime.process)) process.kill(rec.Runtime.process.pid, signal);
  }

  async remove(ref: string, opts: { force?: boolean } = {}): Promise<string> {
    let rec: ContainerRecord;
    try {
      rec = await this.inspect(ref);
    } catch (err) {
      if (!(err instanceof CorruptRecordError) || !opts.force) throw err;
      await this.containers.locked(() => this.containers.remove(err.id));
      return err.id;
    }
    if (rec.State.Running) {
      if (!opts.force) {
        throw new ConflictError(
          `You cannot remove a running container ${rec.Id}. Stop the container before attempting removal or force remove`,
        );
      }
      await this.killAndWaitForSupervisor(rec);
    }
    await this.containers.locked(async () => {
      const now = await this.containers.load(rec.Id);
      if (!now) return;
      const fresh = await this.reconcileLocked(now);
      if (fresh?.Runtime.cgroup) await this.cgroups().remove(fresh.Runtime.cgroup as CgroupHandle);
      await this.containers.remove(rec.Id);
    });
    return rec.Id;
  }

  private async removeQuietly(id: string): Promise<void> {
    await this.remove(id, { force: true }).catch((err: unknown) => {
      if (!(err instanceof NotFoundError)) throw err;
    });
  }

  private async killAndWaitForSupervisor(rec: ContainerRecord): Promise<void> {
    if (rec.Runtime.process && isAlive(rec.Runtime.process)) {
      try {
        process.kill(rec.Runtime.process.pid, 'SIGKILL');
      } catch {
        // It exited on its own meanwhile.
      }
    }
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
    rec.State = {
      ...rec.State,
      Status: 'exited',
      Running: false,
      Pid: 0,
      ExitCode: exit?.exitCode ?? fallback?.exitCode ?? 255,
      OOMKilled: oom,
      Error: exit?.error ?? fallback?.error ?? '',
      FinishedAt: exit?.finishedAt ?? new Date().toISOString(),
    };
    rec.Runtime = { ...rec.Runtime, shim: null, process: null, cgroup: null };
    if (rec.HostConfig.AutoRemove) {
      await this.containers.remove(rec.Id);
      return undefined;
    }
    await this.containers.save(rec);
    return rec;
  }

  /**
   * Brings a record up to date with reality: a container whose supervisor died
   * (kill -9, host reboot) is shown exited and what it held is released.
   */
  private async reconcile(rec: ContainerRecord): Promise<ContainerRecord> {
    if (!rec.State.Running || (rec.Runtime.shim && isAlive(rec.Runtime.shim))) return rec;
    const fixed = await this.containers.locked(async () => {
      const now = await this.containers.load(rec.Id);
      return now ? this.reconcileLocked(now) : undefined;
    });
    if (!fixed) throw new NotFoundError(`No such container: ${rec.Id}`);
    return fixed;
  }

  private async reconcileLocked(rec: ContainerRecord): Promise<ContainerRecord | undefined> {
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
