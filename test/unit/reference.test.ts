import { describe, expect, it } from 'vitest';
import { normalizeReference, normalizeTagReference, parseReference, registryLocation } from '../../src/image/reference.js';
import { InvalidArgumentError } from '../../src/errors.js';

describe('image references', () => {
  it('gives a bare name the latest tag', () => {
    expect(normalizeReference('busybox')).toBe('busybox:latest');
    expect(normalizeReference('busybox:1.36')).toBe('busybox:1.36');
    expect(normalizeReference('library/busybox')).toBe('busybox:latest');
    expect(normalizeReference('team/a-b.c__d--e')).toBe('team/a-b.c__d--e:latest');
    expect(() => parseReference('team/a___b')).toThrow(/invalid reference format/);
  });

  it('names Docker Hub images in the familiar form and finds their registry and repository', () => {
    for (const r of ['busybox', 'library/busybox', 'docker.io/busybox', 'docker.io/library/busybox', 'index.docker.io/library/busybox:latest']) {
      expect(normalizeReference(r)).toBe('busybox:latest');
    }
    expect(normalizeReference('docker.io/team/app:v1')).toBe('team/app:v1');
    expect(registryLocation('busybox')).toEqual({ registry: 'docker.io', repository: 'library/busybox' });
    expect(registryLocation('team/app')).toEqual({ registry: 'docker.io', repository: 'team/app' });
    expect(registryLocation('127.0.0.1:5000/team/app')).toEqual({ registry: '127.0.0.1:5000', repository: 'team/app' });
    expect(registryLocation('localhost/app')).toEqual({ registry: 'localhost', repository: 'app' });
  });

  it('tells a registry host (with port) from a tag', () => {
    expect(parseReference('localhost:5000/app')).toEqual({ name: 'localhost:5000/app', tag: 'latest' });
    expect(parseReference('registry.example.com:443/team/app:v1')).toEqual({ name: 'registry.example.com:443/team/app', tag: 'v1' });
    expect(parseReference('Registry.Example.com/app').name).toBe('Registry.Example.com/app');
  });

  it('keeps digests and refuses them as tags', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseReference(`app@${digest}`)).toEqual({ name: 'app', digest });
    expect(normalizeReference(`app:v1@${digest}`)).toBe(`app:v1@${digest}`);
    expect(() => normalizeTagReference(`app@${digest}`)).toThrow(/digest/);
  });

  it('refuses uppercase names, bad tags and bad names with clear errors', () => {
    expect(() => parseReference('BusyBox')).toThrow(/must be lowercase/);
    expect(() => parseReference('app:')).toThrow(/invalid reference format: invalid tag/);
    expect(() => parseReference('app:-x')).toThrow(/invalid tag/);
    expect(() => parseReference(`app:${'t'.repeat(129)}`)).toThrow(/invalid tag/);
    expect(() => parseReference(' nosuchimage')).toThrow(/invalid reference format/);
    expect(() => parseReference('a//b')).toThrow(/invalid reference format/);
    expect(() => parseReference('')).toThrow(/at least one component/);
    expect(() => parseReference(`${'a'.repeat(256)}`)).toThrow(/255/);
    expect(() => parseReference('app')).not.toThrow();
    try {
      parseReference('Bad');
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidArgumentError);
    }
  });

  it('accepts the tag character set', () => {
    expect(normalizeReference('app:V1.2_3-rc')).toBe('app:V1.2_3-rc');
    expect(normalizeReference(`app:${'t'.repeat(128)}`)).toBe(`app:${'t'.repeat(128)}`);
  });
});
