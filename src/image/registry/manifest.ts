/**
 * Manifests as registries serve them: OCI image manifests and indexes, Docker schema2
 * manifests and manifest lists, validated with zod. Choosing one image of an index for
 * a platform lives here too.
 */
import { z } from 'zod';
import { InvalidArgumentError, NotFoundError } from '../../errors.js';
import { ociArchitecture } from '../platform.js';

export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
} as const;

/** What a pull asks for, best first. */
export const MANIFEST_ACCEPT = [MEDIA.ociIndex, MEDIA.dockerList, MEDIA.ociManifest, MEDIA.dockerManifest];

const digestString = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'expected a sha256 digest');

const descriptorSchema = z
  .object({
    mediaType: z.string(),
    digest: digestString,
    size: z.number().int().nonnegative(),
    urls: z.array(z.string()).optional(),
    annotations: z.record(z.string()).optional(),
  })
  .passthrough();

const platformSchema = z
  .object({
    architecture: z.string(),
    os: z.string(),
    variant: z.string().optional(),
    'os.version': z.string().optional(),
  })
  .passthrough();

const imageManifestSchema = z
  .object({
    schemaVersion: z.literal(2),
    mediaType: z.string().optional(),
    config: descriptorSchema,
    layers: z.array(descriptorSchema),
  })
  .passthrough();

const indexSchema = z
  .object({
    schemaVersion: z.literal(2),
    mediaType: z.string().optional(),
    manifests: z.array(descriptorSchema.extend({ platform: platformSchema.optional() })),
  })
  .passthrough();

export type Descriptor = z.infer<typeof descriptorSchema>;
export type ManifestPlatform = z.infer<typeof platformSchema>;
export type ImageManifest = z.infer<typeof imageManifestSchema>;
export type ImageIndex = z.infer<typeof indexSchema>;

export type ParsedManifest = { kind: 'image'; manifest: ImageManifest } | { kind: 'index'; index: ImageIndex };

/** Layer media types berth can unpack (compressed or not; the unpacker detects which). */
const LAYER_TYPES = new Set([
  'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd',
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'application/vnd.docker.image.rootfs.diff.tar',
  // Foreign layers (Windows base images) are refused below: they are fetched from elsewhere.
]);

function issueText(err: z.ZodError): string {
  const issue = err.issues[0];
  return issue ? `${issue.path.join('.') || 'manifest'}: ${issue.message}` : 'invalid';
}

/**
 * Parses manifest bytes. The media type comes from the document itself when it says one,
 * else from the Content-Type the registry sent; an unknown one (schema1 and friends) is refused.
 */
export function parseManifest(bytes: Uint8Array, contentType: string | undefined, what: string): ParsedManifest {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new InvalidArgumentError(`${what}: the manifest is not JSON`);
  }
  const declared = typeof value === 'object' && value !== null && 'mediaType' in value ? (value as { mediaType: unknown }).mediaType : undefined;
  const type = typeof declared === 'string' ? declared : (contentType ?? '').split(';')[0]!.trim();
  const isIndex =
    type === MEDIA.ociIndex || type === MEDIA.dockerList || (type === '' && typeof value === 'object' && value !== null && 'manifests' in value);
  const isImage = type === MEDIA.ociManifest || type === MEDIA.dockerManifest || (type === '' && !isIndex);
  if (isIndex) {
    const parsed = indexSchema.safeParse(value);
    if (!parsed.success) throw new InvalidArgumentError(`${what}: invalid image index: ${issueText(parsed.error)}`);
    return { kind: 'index', index: parsed.data };
  }
  if (isImage) {
    const parsed = imageManifestSchema.safeParse(value);
    if (!parsed.success) throw new InvalidArgumentError(`${what}: invalid image manifest: ${issueText(parsed.error)}`);
    for (const layer of parsed.data.layers) {
      if (!LAYER_TYPES.has(layer.mediaType)) {
        throw new InvalidArgumentError(`${what}: layer ${layer.digest} has media type ${layer.mediaType}, which berth cannot unpack`);
      }
    }
    return { kind: 'image', manifest: parsed.data };
  }
  throw new InvalidArgumentError(`${what}: unsupported manifest media type ${JSON.stringify(type)}`);
}

export interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string;
}

/** `os/arch[/variant]`, as `--platform` takes it; arch names as Node or Go spell them. */
export function parsePlatform(text: string): PlatformSpec {
  const parts = text.trim().toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) {
    throw new InvalidArgumentError(`invalid platform ${JSON.stringify(text)}: expected os/arch[/variant]`);
  }
  const [os, arch, variant] = parts as [string, string, string | undefined];
  const architecture = ociArchitecture(arch === 'x86_64' ? 'x64' : arch === 'aarch64' ? 'arm64' : arch);
  return { os, architecture, ...(variant !== undefined ? { variant } : {}) };
}

export function formatPlatform(p: { os: string; architecture: string; variant?: string | undefined }): string {
  return [p.os, p.architecture, p.variant].filter((x) => x).join('/');
}

/** Attestations (buildx's provenance and SBOM manifests) are listed in indexes but are not images to run. */
function isAttestation(d: ImageIndex['manifests'][number]): boolean {
  return d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' || (d.platform?.os === 'unknown' && d.platform.architecture === 'unknown');
}

/** The variant an arm64 image without one means, as containerd's platform matching has it. */
function normalVariant(p: { architecture: string; variant?: string | undefined }): string | undefined {
  if (p.architecture === 'arm64' && (p.variant === undefined || p.variant === 'v8')) return undefined;
  return p.variant;
}

/**
 * The entry of an index for a platform. Without a variant asked for, any variant of the
 * architecture matches (the first listed wins, as registries list the preferred first).
 */
export function selectManifest(index: ImageIndex, want: PlatformSpec, what: string): Descriptor {
  const images = index.manifests.filter((d) => !isAttestation(d));
  const wantVariant = normalVariant(want);
  const match = images.find((d) => {
    const p = d.platform;
    if (!p || p.os !== want.os || p.architecture !== want.architecture) return false;
    return wantVariant === undefined || normalVariant(p) === wantVariant;
  });
  if (match) return match;
  const available = images.map((d) => (d.platform ? formatPlatform(d.platform) : 'unknown'));
  throw new NotFoundError(
    `no matching manifest for ${formatPlatform(want)} in the manifest list entries of ${what}` +
      (available.length > 0 ? ` (available: ${available.join(', ')})` : ''),
  );
}
