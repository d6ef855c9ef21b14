import { describe, expect, it } from 'vitest';
import { MEDIA, parseManifest, parsePlatform, selectManifest, type ImageIndex } from '../../src/image/registry/manifest.js';

const d = (c: string): string => `sha256:${c.repeat(64)}`;
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

const image = {
  schemaVersion: 2,
  mediaType: MEDIA.ociManifest,
  config: { mediaType: MEDIA.ociConfig, digest: d('a'), size: 10 },
  layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d('b'), size: 20 }],
};

const index: ImageIndex = {
  schemaVersion: 2,
  mediaType: MEDIA.ociIndex,
  manifests: [
    { mediaType: MEDIA.ociManifest, digest: d('1'), size: 1, platform: { os: 'linux', architecture: 'amd64' } },
    { mediaType: MEDIA.ociManifest, digest: d('2'), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
    { mediaType: MEDIA.ociManifest, digest: d('3'), size: 1, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    {
      mediaType: MEDIA.ociManifest,
      digest: d('4'),
      size: 1,
      platform: { os: 'unknown', architecture: 'unknown' },
      annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
    },
  ],
};

describe('registry manifests', () => {
  it('parses image manifests and indexes, by their own media type or the Content-Type', () => {
    expect(parseManifest(json(image), undefined, 'x').kind).toBe('image');
    const { mediaType: _m, ...untyped } = image;
    expect(parseManifest(json(untyped), MEDIA.dockerManifest, 'x').kind).toBe('image');
    expect(parseManifest(json(index), undefined, 'x').kind).toBe('index');
    const { mediaType: _i, ...untypedIndex } = index;
    expect(parseManifest(json(untypedIndex), `${MEDIA.dockerList}; charset=utf-8`, 'x').kind).toBe('index');
  });

  it('refuses what it cannot use, saying why', () => {
    expect(() => parseManifest(Buffer.from('{'), undefined, 'app:1')).toThrow('app:1: the manifest is not JSON');
    expect(() => parseManifest(json({ schemaVersion: 1, name: 'x' }), 'application/vnd.docker.distribution.manifest.v1+prettyjws', 'app:1')).toThrow(
      /unsupported manifest media type/,
    );
    const foreign = { ...image, layers: [{ mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', digest: d('c'), size: 1 }] };
    expect(() => parseManifest(json(foreign), undefined, 'win')).toThrow(/cannot unpack/);
    expect(() => parseManifest(json({ ...image, config: { ...image.config, digest: 'md5:x' } }), undefined, 'x')).toThrow(/config.digest/);
  });

  it('picks the platform asked for, skipping attestations, and lists what there is when none fits', () => {
    expect(selectManifest(index, { os: 'linux', architecture: 'amd64' }, 'x').digest).toBe(d('1'));
    expect(selectManifest(index, parsePlatform('linux/arm/v7'), 'x').digest).toBe(d('2'));
    // arm64 means v8 whether or not either side says so.
    expect(selectManifest(index, parsePlatform('linux/arm64'), 'x').digest).toBe(d('3'));
    expect(selectManifest(index, parsePlatform('linux/aarch64'), 'x').digest).toBe(d('3'));
    expect(() => selectManifest(index, parsePlatform('linux/s390x'), 'app:1')).toThrow(
      'no matching manifest for linux/s390x in the manifest list entries of app:1 (available: linux/amd64, linux/arm/v7, linux/arm64/v8)',
    );
    expect(() => parsePlatform('linux')).toThrow(/expected os\/arch/);
    expect(parsePlatform('Linux/X86_64')).toEqual({ os: 'linux', architecture: 'amd64' });
  });
});
