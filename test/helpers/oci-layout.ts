/**
 * Images for registry tests, made without any network: OCI image layouts
 * (single images and multi-platform indexes, optionally with buildx-style
 * attestation manifests) written to a directory, small deterministic tars, and
 * skopeo to copy them into a test registry and inspect what is there.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { busyboxPath, zstdPath } from './env.js';
import { rawTar, type RawHeader } from './tar.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar';
export const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const OCI_LAYER_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';
export const IN_TOTO = 'application/vnd.in-toto+json';

/** Fixed timestamps keep every blob, and so every digest, the same from run to run. */
const FIXED_MTIME = 1_577_836_800; // 2020-01-01T00:00:00Z
const CREATED = '2020-01-01T00:00:00Z';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** The `config` part of an image config, as docker writes it (all optional). */
export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  [key: string]: unknown;
}

export interface ImageSpec {
  /** Uncompressed layer tars, bottom first. */
  layers: Buffer[];
  config?: ContainerConfig;
  architecture?: string;
  os?: string;
  variant?: string;
  /** Gzip the layers (default true); otherwise they are stored as plain tars. */
  gzip?: boolean;
  /** How the layers are stored, one for all or one per layer; overrides `gzip`. zstd needs the zstd CLI. */
  compression?: LayerCompression | LayerCompression[];
}

export type LayerCompression = 'none' | 'gzip' | 'zstd';

/** `zstd -c` of data: a compressor independent of berth (Debian's zstd CLI). */
export function zstdSync(data: Buffer, ...args: string[]): Buffer {
  if (!zstdPath) throw new Error('the zstd CLI is not installed (apt-get install zstd)');
  const r = spawnSync(zstdPath, ['-c', '-q', ...args], { input: data, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`zstd ${args.join(' ')} failed: ${r.stderr.toString()}`);
  return r.stdout;
}

function layerBlob(dir: string, tar: Buffer, compression: LayerCompression): Descriptor {
  switch (compression) {
    case 'gzip':
      return putBlob(dir, OCI_LAYER_GZIP, gzipSync(tar));
    case 'zstd':
      return putBlob(dir, OCI_LAYER_ZSTD, zstdSync(tar));
    case 'none':
      return putBlob(dir, OCI_LAYER, tar);
  }
}

export interface WrittenImage {
  manifestDigest: string;
  manifestSize: number;
  configDigest: string;
  /** sha256 of each uncompressed tar, as in the config's rootfs.diff_ids. */
  diffIds: string[];
  /** Digests of the layer blobs as stored (compressed unless gzip: false or compression: 'none'). */
  layerDigests: string[];
  platform: Platform;
}

export interface WrittenIndex {
  indexDigest: string;
  indexSize: number;
  images: WrittenImage[];
  /** Digests of the attestation manifests, one per image (empty without `attestation`). */
  attestationDigests: string[];
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Writes a blob into `dir/blobs/sha256/` and returns its descriptor. */
function putBlob(dir: string, mediaType: string, data: Buffer | string): Descriptor {
  const buf = Buffer.from(data);
  const digest = sha256(buf);
  const blobs = path.join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  writeFileSync(path.join(blobs, digest.slice('sha256:'.length)), buf);
  return { mediaType, digest, size: buf.length };
}

function writeLayoutFiles(dir: string, manifests: Descriptor[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }));
}

/** Writes the blobs of one image (layers, config, manifest) and returns what was written. */
function putImage(dir: string, spec: ImageSpec): WrittenImage & { descriptor: Descriptor } {
  const compression = (i: number): LayerCompression => {
    const c = spec.compression ?? ((spec.gzip ?? true) ? 'gzip' : 'none');
    return typeof c === 'string' ? c : (c[i] ?? 'gzip');
  };
  const platform: Platform = {
    architecture: spec.architecture ?? 'amd64',
    os: spec.os ?? 'linux',
    ...(spec.variant !== undefined ? { variant: spec.variant } : {}),
  };
  const diffIds = spec.layers.map((l) => sha256(l));
  const layers = spec.layers.map((l, i) => layerBlob(dir, l, compression(i)));
  const config = {
    created: CREATED,
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant !== undefined ? { variant: platform.variant } : {}),
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], ...spec.config },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: diffIds.map((d, i) => ({ created: CREATED, created_by: `berth test layer ${i} (${d.slice(7, 19)})` })),
  };
  const configDesc = putBlob(dir, OCI_CONFIG, JSON.stringify(config));
  const manifest = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: configDesc, layers };
  const desc = putBlob(dir, OCI_MANIFEST, JSON.stringify(manifest));
  return {
    descriptor: desc,
    manifestDigest: desc.digest,
    manifestSize: desc.size,
    configDigest: configDesc.digest,
    diffIds,
    layerDigests: layers.map((l) => l.digest),
    platform,
  };
}

/**
 * Writes an OCI image layout holding one image, tagged `tag` (default `latest`,
 * the `org.opencontainers.image.ref.name` annotation skopeo's `oci:DIR:TAG` looks for).
 */
export function writeOciLayout(dir: string, spec: ImageSpec & { tag?: string }): WrittenImage {
  const { descriptor, ...img } = putImage(dir, spec);
  writeLayoutFiles(dir, [{ ...descriptor, annotations: { 'org.opencontainers.image.ref.name': spec.tag ?? 'latest' } }]);
  return img;
}

/** A buildx-style attestation manifest for the image `subject` (an in-toto statement as its one layer). */
function putAttestation(dir: string, subject: WrittenImage): Descriptor {
  const statement = {
    _type: 'https://in-toto.io/Statement/v0.1',
    predicateType: 'https://slsa.dev/provenance/v0.2',
    subject: [{ name: 'berth-test', digest: { sha256: subject.manifestDigest.slice(7) } }],
    predicate: { builder: { id: 'berth-test' }, buildType: 'https://mobyproject.org/buildkit@v1' },
  };
  const layer = putBlob(dir, IN_TOTO, JSON.stringify(statement));
  layer.annotations = { 'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v0.2' };
  const config = putBlob(
    dir,
    OCI_CONFIG,
    JSON.stringify({ architecture: 'unknown', os: 'unknown', config: {}, rootfs: { type: 'layers', diff_ids: [layer.digest] } }),
  );
  const manifest = { schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [layer] };
  const desc = putBlob(dir, OCI_MANIFEST, JSON.stringify(manifest));
  return {
    ...desc,
    platform: { architecture: 'unknown', os: 'unknown' },
    annotations: {
      'vnd.docker.reference.digest': subject.manifestDigest,
      'vnd.docker.reference.type': 'attestation-manifest',
    },
  };
}

/**
 * Writes an OCI image layout whose tag (default `latest`) names an image index with
 * one manifest per platform; with `attestation`, each image also gets an attestation
 * manifest as buildx pushes them (platform unknown/unknown,
 * `vnd.docker.reference.type: attestation-manifest`). Copy it with `skopeoCopy(…, { all: true })`.
 */
export function writeOciIndexLayout(
  dir: string,
  images: Array<{ platform: Platform; layers: Buffer[]; config?: ContainerConfig; gzip?: boolean }>,
  opts: { attestation?: boolean; tag?: string } = {},
): WrittenIndex {
  const written: WrittenImage[] = [];
  const manifests: Descriptor[] = [];
  for (const img of images) {
    const { descriptor, ...w } = putImage(dir, {
      layers: img.layers,
      config: img.config,
      gzip: img.gzip,
      os: img.platform.os,
      architecture: img.platform.architecture,
      variant: img.platform.variant,
    });
    written.push(w);
    manifests.push({ ...descriptor, platform: w.platform });
  }
  const attestationDigests: string[] = [];
  if (opts.attestation) {
    for (const w of written) {
      const a = putAttestation(dir, w);
      attestationDigests.push(a.digest);
      manifests.push(a);
    }
  }
  const index = putBlob(dir, OCI_INDEX, JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }));
  writeLayoutFiles(dir, [{ ...index, annotations: { 'org.opencontainers.image.ref.name': opts.tag ?? 'latest' } }]);
  return { indexDigest: index.digest, indexSize: index.size, images: written, attestationDigests };
}

export type TarFile =
  | string
  | {
      content?: string | Buffer;
      mode?: number;
      type?: 'file' | 'dir' | 'symlink';
      /** Symlink target. */
      target?: string;
      uid?: number;
      gid?: number;
    };

/**
 * A small uncompressed tar (ustar), in the order given, with fixed mtimes, so the
 * same input always makes the same bytes. Names ending in `/` or with type `dir`
 * are directories.
 */
export function tarOf(files: Record<string, TarFile>): Buffer {
  const entries: Array<{ header: RawHeader; body?: Buffer }> = [];
  for (const [rawName, f] of Object.entries(files)) {
    const spec = typeof f === 'string' ? { content: f } : f;
    const type = spec.type ?? (rawName.endsWith('/') ? 'dir' : spec.target !== undefined ? 'symlink' : 'file');
    const name = type === 'dir' ? rawName.replace(/\/*$/, '/') : rawName;
    if (Buffer.byteLength(name) > 99) throw new Error(`tarOf: name too long for ustar: ${name}`);
    const base = { name, uid: spec.uid ?? 0, gid: spec.gid ?? 0, mtime: FIXED_MTIME };
    if (type === 'dir') {
      entries.push({ header: { ...base, type: '5', mode: spec.mode ?? 0o755 } });
    } else if (type === 'symlink') {
      if (spec.target === undefined) throw new Error(`tarOf: symlink ${name} needs a target`);
      entries.push({ header: { ...base, type: '2', mode: spec.mode ?? 0o777, linkname: spec.target } });
    } else {
      entries.push({ header: { ...base, type: '0', mode: spec.mode ?? 0o644 }, body: Buffer.from(spec.content ?? '') });
    }
  }
  return rawTar(entries);
}

const BUSYBOX_APPLETS = [
  'sh', 'echo', 'cat', 'ls', 'sleep', 'true', 'false', 'id', 'hostname', 'ps', 'mount', 'grep', 'head',
  'tail', 'touch', 'rm', 'mkdir', 'test', 'wc', 'env', 'pwd', 'kill', 'dd', 'yes', 'stat', 'readlink',
  'tr', 'cut', 'seq', 'printf', 'whoami', 'find', 'uname', 'tty', 'stty', 'nproc',
];
let busyboxLayerCache: Buffer | undefined;

/**
 * A runnable busybox root filesystem as one uncompressed layer: the same tree as
 * `busyboxTar` in berth.ts (Debian's busybox-static, applet symlinks in /bin,
 * /etc/passwd and /etc/group), but written by `tarOf`, so its digest is stable
 * and no berth code is loaded. Needs busybox-static (`busyboxPath` in env.ts).
 * The argument is accepted for callers written against an earlier version and unused.
 */
export function busyboxLayer(_dir?: string): Buffer {
  if (busyboxLayerCache) return busyboxLayerCache;
  if (!busyboxPath) throw new Error('busybox-static is not installed (apt-get install busybox-static)');
  const files: Record<string, TarFile> = {};
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'root', 'home', 'home/user']) files[`${d}/`] = {};
  files['tmp/'] = { mode: 0o1777 };
  files['bin/busybox'] = { content: readFileSync(busyboxPath), mode: 0o755 };
  for (const a of BUSYBOX_APPLETS) files[`bin/${a}`] = { target: 'busybox' };
  files['etc/passwd'] =
    'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n';
  files['etc/group'] = 'root:x:0:\nuser:x:1000:\nstaff:x:50:user\nnogroup:x:65534:\n';
  busyboxLayerCache = tarOf(files);
  return busyboxLayerCache;
}

export interface SkopeoOptions {
  /** `USER:PASSWORD` for every `docker://` side not given its own below. */
  creds?: string;
  srcCreds?: string;
  destCreds?: string;
  /** Copy every manifest of an index (`--all`). */
  all?: boolean;
  /** Fail if a digest would change (`--preserve-digests`; default true, false with `destCompress`). */
  preserveDigests?: boolean;
  /** Recompress every layer with skopeo's own compressor (`--dest-compress --dest-compress-format`). */
  destCompress?: 'gzip' | 'zstd';
  timeoutMs?: number;
}

function skopeo(args: string[], timeoutMs = 120_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // Asynchronous on purpose: the token server of a token-mode fixture runs in this process.
    const child = spawn('/usr/bin/skopeo', args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost' },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(out));
      else {
        reject(
          new Error(`skopeo ${args.join(' ')} failed (${code ?? signal}):\n${Buffer.concat(err).toString('utf8').trim()}`),
        );
      }
    });
  });
}

function credArgs(ref: string, creds: string | undefined, side: 'src' | 'dest' | ''): string[] {
  if (!ref.startsWith('docker://')) return [];
  const prefix = side === '' ? '' : `${side}-`;
  // Without credentials, anonymous for sure: no auth file of the host is read.
  return creds !== undefined ? [`--${prefix}creds`, creds] : [`--${prefix}no-creds`];
}

/**
 * `skopeo copy SRC DEST` with TLS verification off (plain http to 127.0.0.1 works)
 * and no signature policy. Returns skopeo's stdout; throws with its stderr.
 */
export async function skopeoCopy(src: string, dest: string, opts: SkopeoOptions = {}): Promise<string> {
  const args = ['copy', '--insecure-policy', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false'];
  if (opts.all) args.push('--all');
  if (opts.preserveDigests ?? opts.destCompress === undefined) args.push('--preserve-digests');
  if (opts.destCompress) args.push('--dest-compress', '--dest-compress-format', opts.destCompress);
  args.push(...credArgs(src, opts.srcCreds ?? opts.creds, 'src'), ...credArgs(dest, opts.destCreds ?? opts.creds, 'dest'));
  args.push(src, dest);
  return (await skopeo(args, opts.timeoutMs)).toString('utf8');
}

export interface Inspected {
  /** The manifest (or index) exactly as served. */
  raw: Buffer;
  manifest: {
    schemaVersion: number;
    mediaType?: string;
    config?: Descriptor;
    layers?: Descriptor[];
    manifests?: Descriptor[];
    [key: string]: unknown;
  };
  /** sha256 of `raw`: the digest the registry knows the manifest by. */
  digest: string;
}

/** `skopeo inspect --raw REF`: the manifest as served, parsed, and its digest. */
export async function skopeoInspect(ref: string, opts: { creds?: string; timeoutMs?: number } = {}): Promise<Inspected> {
  const args = ['inspect', '--raw', '--tls-verify=false', ...credArgs(ref, opts.creds, ''), ref];
  const raw = await skopeo(args, opts.timeoutMs);
  return { raw, manifest: JSON.parse(raw.toString('utf8')) as Inspected['manifest'], digest: sha256(raw) };
}

/**
 * `skopeo inspect --format '{{.Digest}}' REF`: the digest skopeo reports. For an index
 * skopeo needs an image for this machine's platform in it, or this fails.
 */
export async function skopeoDigest(ref: string, opts: { creds?: string; timeoutMs?: number } = {}): Promise<string> {
  const args = ['inspect', '--format', '{{.Digest}}', '--tls-verify=false', ...credArgs(ref, opts.creds, ''), ref];
  return (await skopeo(args, opts.timeoutMs)).toString('utf8').trim();
}
