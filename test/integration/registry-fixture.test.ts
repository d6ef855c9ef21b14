/**
 * The registry fixtures themselves, with no berth code involved: a real
 * docker-registry in each auth mode, images put there by skopeo from OCI layouts,
 * and checked with skopeo and plain fetch.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { busyboxPath } from '../helpers/env.js';
import {
  IN_TOTO,
  OCI_INDEX,
  OCI_MANIFEST,
  busyboxLayer,
  sha256,
  skopeoCopy,
  skopeoDigest,
  skopeoInspect,
  tarOf,
  writeOciIndexLayout,
  writeOciLayout,
  type WrittenImage,
  type WrittenIndex,
} from '../helpers/oci-layout.js';
import { TMP_PREFIX, skipRegistry, startRegistry, type RegistryAuth, type RegistryFixture } from '../helpers/registry.js';

const ACCEPT = [OCI_MANIFEST, OCI_INDEX, 'application/vnd.docker.distribution.manifest.v2+json'].join(', ');

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

async function getManifest(reg: RegistryFixture, repo: string, ref: string, authorization?: string): Promise<Response> {
  const headers: Record<string, string> = { Accept: ACCEPT };
  if (authorization) headers.Authorization = authorization;
  return fetch(`${reg.url}/v2/${repo}/manifests/${ref}`, { headers });
}

/** A token from the fixture's token server, as a client would ask for it. */
async function fetchToken(reg: RegistryFixture, scope: string, authorization?: string): Promise<Response> {
  const u = new URL(reg.realm!);
  u.searchParams.set('service', reg.service!);
  u.searchParams.set('scope', scope);
  return fetch(u, { headers: authorization ? { Authorization: authorization } : {} });
}

function jwtClaims(token: string): { access: Array<{ type: string; name: string; actions: string[] }>; aud: string; iss: string } {
  const payload = token.split('.')[1]!;
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as ReturnType<typeof jwtClaims>;
}

const skipped = skipRegistry('registry fixture tests');

describe.skipIf(skipped)('registry fixtures', () => {
  let work: string;
  let single: WrittenImage;
  let multi: WrittenIndex;
  let singleLayout: string;
  let multiLayout: string;

  beforeAll(() => {
    work = mkdtempSync(`${TMP_PREFIX}layouts-`);
    singleLayout = path.join(work, 'single');
    multiLayout = path.join(work, 'multi');
    const base = busyboxPath ? [busyboxLayer()] : [];
    single = writeOciLayout(singleLayout, {
      layers: [...base, tarOf({ 'etc/': {}, 'etc/hello.txt': 'hello\n', 'bin/hi': { content: '#!/bin/sh\necho hi\n', mode: 0o755 } })],
      config: { Cmd: ['/bin/hi'], Env: ['A=1'] },
      tag: 'v1',
    });
    multi = writeOciIndexLayout(
      multiLayout,
      [
        { platform: { os: 'linux', architecture: 'amd64' }, layers: [tarOf({ 'arch.txt': 'amd64\n' })] },
        { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' }, layers: [tarOf({ 'arch.txt': 'arm64\n' })], gzip: false },
      ],
      { attestation: true, tag: 'v1' },
    );
  });

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('layouts are deterministic', () => {
    const again = mkdtempSync(`${TMP_PREFIX}layouts-`);
    try {
      const base = busyboxPath ? [busyboxLayer()] : [];
      const w = writeOciLayout(path.join(again, 'single'), {
        layers: [...base, tarOf({ 'etc/': {}, 'etc/hello.txt': 'hello\n', 'bin/hi': { content: '#!/bin/sh\necho hi\n', mode: 0o755 } })],
        config: { Cmd: ['/bin/hi'], Env: ['A=1'] },
        tag: 'v1',
      });
      expect(w).toEqual(single);
      expect(multi.images.map((i) => i.platform)).toEqual([
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
      ]);
      expect(multi.attestationDigests).toHaveLength(2);
    } finally {
      rmSync(again, { recursive: true, force: true });
    }
  });

  describe.each<RegistryAuth>(['anonymous', 'basic', 'token'])('%s registry', (auth) => {
    let reg: RegistryFixture;
    let creds: string | undefined;

    beforeAll(async () => {
      reg = await startRegistry({ auth });
      creds = reg.user !== undefined ? `${reg.user}:${reg.password}` : undefined;
    });

    afterAll(async () => {
      const dir = reg ? path.dirname(reg.storageDir) : undefined;
      await reg?.stop();
      if (dir) expect(existsSync(dir)).toBe(false);
    });

    test('a single image copied by skopeo is served with its digest', async () => {
      await skopeoCopy(`oci:${singleLayout}:v1`, `docker://${reg.host}/test/single:v1`, { creds });
      const inspected = await skopeoInspect(`docker://${reg.host}/test/single:v1`, { creds });
      expect(inspected.digest).toBe(single.manifestDigest);
      expect(inspected.manifest.mediaType).toBe(OCI_MANIFEST);
      expect(inspected.manifest.config?.digest).toBe(single.configDigest);
      expect(inspected.manifest.layers?.map((l) => l.digest)).toEqual(single.layerDigests);
      expect(await skopeoDigest(`docker://${reg.host}/test/single:v1`, { creds })).toBe(single.manifestDigest);

      const authorization = await reg.authorization('repository:test/single:pull');
      const res = await getManifest(reg, 'test/single', 'v1', authorization);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(OCI_MANIFEST);
      expect(res.headers.get('docker-content-digest')).toBe(single.manifestDigest);
      expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(single.manifestDigest);

      const blob = await fetch(`${reg.url}/v2/test/single/blobs/${single.configDigest}`, {
        headers: authorization ? { Authorization: authorization } : {},
      });
      expect(blob.status).toBe(200);
      const config = (await blob.json()) as { rootfs: { diff_ids: string[] }; config: { Cmd: string[] } };
      expect(config.rootfs.diff_ids).toEqual(single.diffIds);
      expect(config.config.Cmd).toEqual(['/bin/hi']);
    });

    test('an index with two platforms and attestations is copied whole with --all', async () => {
      await skopeoCopy(`oci:${multiLayout}:v1`, `docker://${reg.host}/test/multi:v1`, { creds, all: true });
      const inspected = await skopeoInspect(`docker://${reg.host}/test/multi:v1`, { creds });
      expect(inspected.digest).toBe(multi.indexDigest);
      expect(inspected.manifest.mediaType).toBe(OCI_INDEX);
      const entries = inspected.manifest.manifests ?? [];
      expect(entries.map((m) => m.digest)).toEqual([...multi.images.map((i) => i.manifestDigest), ...multi.attestationDigests]);
      const attestations = entries.filter((m) => m.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest');
      expect(attestations.map((a) => a.platform)).toEqual([
        { os: 'unknown', architecture: 'unknown' },
        { os: 'unknown', architecture: 'unknown' },
      ]);
      expect(attestations.map((a) => a.annotations?.['vnd.docker.reference.digest'])).toEqual(
        multi.images.map((i) => i.manifestDigest),
      );

      const authorization = await reg.authorization('repository:test/multi:pull');
      const top = await getManifest(reg, 'test/multi', 'v1', authorization);
      expect(top.status).toBe(200);
      expect(top.headers.get('content-type')).toBe(OCI_INDEX);
      expect(top.headers.get('docker-content-digest')).toBe(multi.indexDigest);
      await top.arrayBuffer();
      // Every child, attestations included, is there by digest.
      for (const digest of [...multi.images.map((i) => i.manifestDigest), ...multi.attestationDigests]) {
        const child = await getManifest(reg, 'test/multi', digest, authorization);
        expect(child.status).toBe(200);
        expect(sha256(Buffer.from(await child.arrayBuffer()))).toBe(digest);
      }
      const att = await skopeoInspect(`docker://${reg.host}/test/multi@${multi.attestationDigests[0]}`, { creds });
      expect(att.manifest.layers?.[0]?.mediaType).toBe(IN_TOTO);
    });

    // Credentials mean nothing to an anonymous registry: these two are not made for it.
    if (auth === 'anonymous') return;

    test('a wrong password is refused', async () => {
      const wrong = `${reg.user}:not-${reg.password}`;
      await expect(skopeoInspect(`docker://${reg.host}/test/single:v1`, { creds: wrong })).rejects.toThrow(/401|unauthorized|authentication required/i);
      if (auth === 'basic') {
        const res = await getManifest(reg, 'test/single', 'v1', basic(reg.user!, 'wrong'));
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
      } else {
        const res = await fetchToken(reg, 'repository:test/single:pull', basic(reg.user!, 'wrong'));
        expect(res.status).toBe(401);
      }
    });

    test('without credentials, nothing is served', async () => {
      const res = await getManifest(reg, 'test/single', 'v1');
      expect(res.status).toBe(401);
      const challenge = res.headers.get('www-authenticate') ?? '';
      if (auth === 'basic') {
        expect(challenge).toMatch(/^Basic realm="berth-test-registry"/);
      } else {
        expect(challenge).toContain(`Bearer realm="${reg.realm}"`);
        expect(challenge).toContain(`service="${reg.service}"`);
        expect(challenge).toContain('scope="repository:test/single:pull"');
      }
      await expect(skopeoInspect(`docker://${reg.host}/test/single:v1`)).rejects.toThrow();
    });
  });

  describe('token server', () => {
    let reg: RegistryFixture;

    beforeAll(async () => {
      reg = await startRegistry({ auth: 'token', user: 'alice', password: 's3cret' });
      await skopeoCopy(`oci:${singleLayout}:v1`, `docker://${reg.host}/test/single:v1`, { creds: 'alice:s3cret' });
    });

    afterAll(async () => {
      await reg?.stop();
    });

    test('counts the tokens it issues and grants what the valid user asks', async () => {
      const before = reg.tokensIssued();
      expect(before).toBeGreaterThan(0); // skopeo's push
      const res = await fetchToken(reg, 'repository:test/single:pull,push', basic('alice', 's3cret'));
      expect(res.status).toBe(200);
      const body = (await res.json()) as { token: string; access_token: string; expires_in: number; issued_at: string };
      expect(body.access_token).toBe(body.token);
      expect(body.expires_in).toBe(300);
      expect(Number.isNaN(Date.parse(body.issued_at))).toBe(false);
      const claims = jwtClaims(body.token);
      expect(claims.aud).toBe(reg.service);
      expect(claims.iss).toBe(reg.issuer);
      expect(claims.access).toEqual([{ type: 'repository', name: 'test/single', actions: ['pull', 'push'] }]);
      expect(reg.tokensIssued()).toBe(before + 1);
      expect(reg.tokenRequests().at(-1)).toMatchObject({ method: 'GET', user: 'alice', scopes: ['repository:test/single:pull,push'] });

      // The token works against the registry.
      const m = await getManifest(reg, 'test/single', 'v1', `Bearer ${body.token}`);
      expect(m.status).toBe(200);
      expect(m.headers.get('docker-content-digest')).toBe(single.manifestDigest);
      await m.arrayBuffer();

      // Refused requests are not counted.
      expect((await fetchToken(reg, 'repository:test/single:pull', basic('alice', 'nope'))).status).toBe(401);
      expect(reg.tokensIssued()).toBe(before + 1);
    });

    test('answers the OAuth2 password grant too', async () => {
      const before = reg.tokensIssued();
      const res = await fetch(reg.realm!, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'password',
          username: 'alice',
          password: 's3cret',
          service: reg.service!,
          scope: 'repository:test/single:pull',
          client_id: 'berth-test',
        }),
      });
      expect(res.status).toBe(200);
      const { access_token } = (await res.json()) as { access_token: string };
      expect(jwtClaims(access_token).access).toEqual([{ type: 'repository', name: 'test/single', actions: ['pull'] }]);
      expect(reg.tokensIssued()).toBe(before + 1);
    });

    test('anonymous tokens grant nothing, so pulls are refused', async () => {
      const res = await fetchToken(reg, 'repository:test/single:pull');
      expect(res.status).toBe(200);
      const { token } = (await res.json()) as { token: string };
      expect(jwtClaims(token).access).toEqual([]);
      const m = await getManifest(reg, 'test/single', 'v1', `Bearer ${token}`);
      expect(m.status).toBe(401);
      expect(m.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
      await m.arrayBuffer();
    });

    test('a token for another service is refused', async () => {
      const u = new URL(reg.realm!);
      u.searchParams.set('service', 'some-other-registry');
      u.searchParams.set('scope', 'repository:test/single:pull');
      const res = await fetch(u, { headers: { Authorization: basic('alice', 's3cret') } });
      expect(res.status).toBe(400);
    });
  });

  describe('token server with anonymousPull', () => {
    let reg: RegistryFixture;

    beforeAll(async () => {
      reg = await startRegistry({ auth: 'token', anonymousPull: true });
      await skopeoCopy(`oci:${singleLayout}:v1`, `docker://${reg.host}/test/public:v1`, { creds: `${reg.user}:${reg.password}` });
    });

    afterAll(async () => {
      await reg?.stop();
    });

    test('anyone may pull, nobody anonymous may push', async () => {
      const inspected = await skopeoInspect(`docker://${reg.host}/test/public:v1`);
      expect(inspected.digest).toBe(single.manifestDigest);
      expect(reg.tokenRequests().at(-1)).toMatchObject({ user: undefined, access: [{ name: 'test/public', actions: ['pull'] }] });

      const res = await fetchToken(reg, 'repository:test/public:pull,push');
      const { token } = (await res.json()) as { token: string };
      expect(jwtClaims(token).access).toEqual([{ type: 'repository', name: 'test/public', actions: ['pull'] }]);
      await expect(skopeoCopy(`oci:${singleLayout}:v1`, `docker://${reg.host}/test/anon:v1`)).rejects.toThrow(/denied|unauthorized/);
    });
  });
});
