/**
 * `berth pull` and `berth run` of a missing image against a real registry (Debian's
 * docker-registry on 127.0.0.1), with images put there by skopeo, an independent peer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { busyboxTar, cliPath, makeTestRoot, type TestRoot } from '../helpers/berth.js';
import { busyboxLayer, sha256, skopeoCopy, skopeoInspect, tarOf, writeOciIndexLayout, writeOciLayout } from '../helpers/oci-layout.js';
import { skipRegistry, startRegistry, type RegistryFixture } from '../helpers/registry.js';

const layersOf = (t: TestRoot): string[] => {
  const dir = path.join(t.root, 'storage', 'layers');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
};
const tmpOf = (t: TestRoot): string[] => {
  const dir = path.join(t.root, 'storage', 'tmp');
  return existsSync(dir) ? readdirSync(dir) : [];
};

/** Rewrites the image in an OCI layout so its config claims another diff_id for the top layer. */
function breakDiffId(layout: string): void {
  const index = JSON.parse(readFileSync(path.join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; size: number }> };
  const blob = (d: string): string => path.join(layout, 'blobs', 'sha256', d.slice(7));
  const put = (data: string): { digest: string; size: number } => {
    const digest = sha256(data);
    writeFileSync(blob(digest), data);
    return { digest, size: Buffer.byteLength(data) };
  };
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0]!.digest), 'utf8')) as { config: { digest: string; size: number } };
  const config = JSON.parse(readFileSync(blob(manifest.config.digest), 'utf8')) as { rootfs: { diff_ids: string[] } };
  config.rootfs.diff_ids[config.rootfs.diff_ids.length - 1] = `sha256:${'0'.repeat(64)}`;
  manifest.config = { ...manifest.config, ...put(JSON.stringify(config)) };
  index.manifests[0] = { ...index.manifests[0]!, ...put(JSON.stringify(manifest)) };
  writeFileSync(path.join(layout, 'index.json'), JSON.stringify(index));
}

describe.skipIf(skipRegistry('berth pull', 'anonymous'))('berth pull', () => {
  let t: TestRoot;
  let reg: RegistryFixture;
  let work: string;
  let base: Buffer;
  const ref = (repo: string): string => `${reg.host}/${repo}`;

  beforeAll(async () => {
    t = makeTestRoot();
    reg = await startRegistry({ auth: 'anonymous' });
    work = mkdtempSync('/tmp/berth-it-pull-');
    base = await busyboxLayer(work);
    const layout = path.join(work, 'app');
    writeOciLayout(layout, { layers: [base, tarOf({ 'hello.txt': 'hello from the registry\n' })], config: { Cmd: ['cat', '/hello.txt'], Env: ['FROM_IMAGE=1'] } });
    await skopeoCopy(`oci:${layout}:latest`, `docker://${ref('test/app:v1')}`);
  }, 120_000);
  afterAll(async () => {
    await t?.cleanup();
    await reg?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('pulls an image with docker\'s plain progress lines, then runs it', () => {
    const r = t.cli(['pull', ref('test/app:v1')]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('v1: Pulling from test/app');
    expect(t.cli(['pull', ref('test/app')]).stdout).toMatch(/^Using default tag: latest\n/);
    expect(lines.filter((l) => /^[0-9a-f]{12}: Pull complete$/.test(l))).toHaveLength(2);
    expect(r.stdout).toMatch(/^Digest: sha256:[0-9a-f]{64}$/m);
    expect(r.stdout).toContain(`Status: Downloaded newer image for ${ref('test/app:v1')}\n`);
    expect(lines.at(-1)).toBe(ref('test/app:v1'));

    const run = t.cli(['run', '--rm', ref('test/app:v1')]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('hello from the registry\n');
    const env = t.cli(['run', '--rm', ref('test/app:v1'), 'sh', '-c', 'echo $FROM_IMAGE']);
    expect(env.stdout).toBe('1\n');

    const inspect = JSON.parse(t.cli(['image', 'inspect', ref('test/app:v1')]).stdout) as Array<{ RepoTags: string[]; RepoDigests: string[] }>;
    const digest = /^Digest: (sha256:[0-9a-f]{64})$/m.exec(r.stdout)![1]!;
    expect(inspect[0]!.RepoTags).toEqual([ref('test/app:v1')]);
    expect(inspect[0]!.RepoDigests).toEqual([`${ref('test/app')}@${digest}`]);

    // Again: nothing to download, and docker's "up to date".
    const again = t.cli(['pull', ref('test/app:v1')]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.match(/: Already exists$/gm)).toHaveLength(2);
    expect(again.stdout).toContain(`Status: Image is up to date for ${ref('test/app:v1')}`);

    // By digest: the same image, found locally by that digest afterwards.
    const byDigest = t.cli(['pull', '-q', `${ref('test/app')}@${digest}`]);
    expect(byDigest.code, byDigest.stderr).toBe(0);
    expect(byDigest.stdout).toBe(`${reg.host}/test/app@${digest}\n`);
    expect(t.cli(['run', '--rm', `${ref('test/app')}@${digest}`]).stdout).toBe('hello from the registry\n');
  });

  it('pulls a missing image on run, saying so on stderr', async () => {
    const layout = path.join(work, 'other');
    writeOciLayout(layout, { layers: [base], config: { Cmd: ['echo', 'ran'] } });
    await skopeoCopy(`oci:${layout}:latest`, `docker://${ref('test/other:latest')}`);
    const r = t.cli(['run', '--rm', ref('test/other')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('ran\n');
    expect(r.stderr).toMatch(new RegExp(`^Unable to find image '${ref('test/other:latest')}' locally\n`));
    // The busybox layer came with the first image: it is not downloaded again.
    expect(r.stderr).toMatch(/: Already exists$/m);
  });

  it('picks the host platform from an index, another with --platform, and names the choices when none fits', async () => {
    const layout = path.join(work, 'multi');
    const arch = (name: string): Buffer => tarOf({ 'arch.txt': `${name}\n` });
    writeOciIndexLayout(
      layout,
      [
        { platform: { os: 'linux', architecture: 'amd64' }, layers: [base, arch('amd64')], config: { Cmd: ['cat', '/arch.txt'] } },
        { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' }, layers: [base, arch('arm64')], config: { Cmd: ['cat', '/arch.txt'] } },
      ],
      { attestation: true },
    );
    await skopeoCopy(`oci:${layout}:latest`, `docker://${ref('test/multi:1')}`, { all: true });
    const host = t.cli(['run', '--rm', ref('test/multi:1')]);
    expect(host.code, host.stderr).toBe(0);
    expect(host.stdout).toBe(process.arch === 'arm64' ? 'arm64\n' : 'amd64\n');

    const other = process.arch === 'arm64' ? 'linux/amd64' : 'linux/arm64';
    expect(t.cli(['pull', '--platform', other, ref('test/multi:1')]).code).toBe(0);
    const inspect = JSON.parse(t.cli(['image', 'inspect', ref('test/multi:1')]).stdout) as Array<{ Architecture: string }>;
    expect(inspect[0]!.Architecture).toBe(other.split('/')[1]);

    const none = t.cli(['pull', '--platform', 'linux/s390x', ref('test/multi:1')]);
    expect(none.code).toBe(125);
    expect(none.stderr).toMatch(/no matching manifest for linux\/s390x .*\(available: linux\/amd64, linux\/arm64\/v8\)/);
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('keeps nothing of a blob that does not match its digest, or a layer that does not match its diff_id', async () => {
    const bad = path.join(work, 'bad');
    const unique = tarOf({ 'corrupt-me.txt': randomBytes(64).toString('hex') });
    const img = writeOciLayout(bad, { layers: [base, unique], gzip: false });
    await skopeoCopy(`oci:${bad}:latest`, `docker://${ref('test/bad:1')}`);
    // Flip the stored blob's bytes behind the registry's back.
    const top = img.layerDigests[1]!.slice(7);
    const data = path.join(reg.storageDir, 'docker', 'registry', 'v2', 'blobs', 'sha256', top.slice(0, 2), top, 'data');
    const bytes = readFileSync(data);
    bytes[600] = bytes[600]! ^ 0xff;
    writeFileSync(data, bytes);

    const layersBefore = layersOf(t);
    const imagesBefore = t.cli(['images', '-q', '--no-trunc']).stdout;
    const r = t.cli(['pull', ref('test/bad:1')]);
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/digest mismatch/);
    expect(layersOf(t)).toEqual(layersBefore);
    expect(tmpOf(t)).toEqual([]);
    expect(t.cli(['images', '-q', '--no-trunc']).stdout).toBe(imagesBefore);

    const wrong = path.join(work, 'wrong');
    writeOciLayout(wrong, { layers: [base, tarOf({ 'other.txt': randomBytes(8).toString('hex') })] });
    breakDiffId(wrong);
    await skopeoCopy(`oci:${wrong}:latest`, `docker://${ref('test/wrong:1')}`);
    const w = t.cli(['pull', ref('test/wrong:1')]);
    expect(w.code).toBe(125);
    expect(w.stderr).toMatch(/does not match the config's diff_id/);
    expect(layersOf(t)).toEqual(layersBefore);
    expect(tmpOf(t)).toEqual([]);
  });

  it('survives a pull killed half-way, and two pulls of one image at once', async () => {
    const big = path.join(work, 'big');
    // Random bytes do not compress: about 24 MB to download, so the kill lands mid-way.
    writeOciLayout(big, { layers: [base, tarOf({ 'big.bin': { content: randomBytes(24 << 20) } })] });
    await skopeoCopy(`oci:${big}:latest`, `docker://${ref('test/big:1')}`);
    const args = [cliPath, '--root', t.root, '--run-root', t.runRoot, 'pull', ref('test/big:1')];
    const child = spawn(process.execPath, args, { stdio: 'ignore' });
    for (let i = 0; i < 200 && tmpOf(t).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(t.cli(['images']).stdout).not.toContain('test/big');

    const both = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<number>((resolve) => {
            const c = spawn(process.execPath, args, { stdio: 'ignore' });
            c.once('exit', (code) => resolve(code ?? -1));
          }),
      ),
    );
    expect(both).toEqual([0, 0]);
    // One copy of each layer, and the dead pull's temp files are gone.
    const layers = layersOf(t);
    expect(new Set(layers).size).toBe(layers.length);
    expect(tmpOf(t)).toEqual([]);
    expect(t.cli(['run', '--rm', ref('test/big:1'), 'sh', '-c', 'wc -c < /big.bin']).stdout.trim()).toBe(String(24 << 20));
  }, 120_000);

  it('leaves the store as it was when the disk fills up, and pulls once there is room', async () => {
    // The state root on a small tmpfs: the 24 MB layer of test/big:1 cannot fit.
    const small = mkdtempSync('/tmp/berth-it-full-');
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=12m', 'tmpfs', small]).status).toBe(0);
    try {
      const args = (...a: string[]): string[] => [cliPath, '--root', small, '--run-root', path.join(small, 'run'), ...a];
      const pullIn = (r: string) => spawnSync(process.execPath, args('pull', r), { encoding: 'utf8' });
      expect(pullIn(ref('test/app:v1')).status).toBe(0);
      const storeFiles = (): string[] => readdirSync(path.join(small, 'storage'), { recursive: true }).map(String).sort();
      const before = storeFiles();
      const full = pullIn(ref('test/big:1'));
      expect(full.status).not.toBe(0);
      expect(full.stderr).toMatch(/no space left on device/i);
      expect(full.stderr).not.toMatch(/\n\s+at /);
      expect(storeFiles()).toEqual(before);
      expect(spawnSync(process.execPath, args('images'), { encoding: 'utf8' }).stdout).not.toContain('test/big');
      expect(spawnSync('mount', ['-o', 'remount,size=200m', small]).status).toBe(0);
      expect(pullIn(ref('test/big:1')).status).toBe(0);
      const run = spawnSync(process.execPath, args('run', '--rm', '--network', 'none', ref('test/big:1'), 'sh', '-c', 'wc -c < /big.bin'), { encoding: 'utf8' });
      expect(run.stdout.trim()).toBe(String(24 << 20));
    } finally {
      spawnSync('umount', [small]);
      rmSync(small, { recursive: true, force: true });
    }
  }, 120_000);

  it('pushes an image that skopeo reads back and another root pulls and runs, skipping and mounting blobs it has', async () => {
    const tar = busyboxTar(work);
    expect(t.cli(['import', '--change', 'CMD ["echo", "pushed"]', tar, ref('pushed/app:1')]).code).toBe(0);
    const r = t.cli(['push', ref('pushed/app:1')]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(`The push refers to repository [${ref('pushed/app')}]`);
    expect(r.stdout).toMatch(/^[0-9a-f]{12}: Pushed$/m);
    const digest = /^1: digest: (sha256:[0-9a-f]{64}) size: \d+$/m.exec(r.stdout)?.[1];
    expect(digest).toBeDefined();
    // skopeo, an independent client, sees the same manifest and can copy the image out.
    const inspected = await skopeoInspect(`docker://${ref('pushed/app:1')}`);
    expect(inspected.digest).toBe(digest);
    await skopeoCopy(`docker://${ref('pushed/app:1')}`, `oci:${path.join(work, 'copied')}:1`);

    const other = makeTestRoot();
    try {
      const run = other.cli(['run', '--rm', ref('pushed/app:1')]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toBe('pushed\n');
    } finally {
      await other.cleanup();
    }
    const again = t.cli(['push', ref('pushed/app:1')]);
    expect(again.stdout).toMatch(/^[0-9a-f]{12}: Layer already exists$/m);
    expect(again.stdout).toContain(`1: digest: ${digest}`);

    // Pulled back, the image is in berth's own layer form: pushed to another repository, its
    // blobs are the same, and are mounted from the repository its digest names.
    expect(t.cli(['pull', ref('pushed/app:1')]).code).toBe(0);
    expect(t.cli(['tag', ref('pushed/app:1'), ref('copy/app:1')]).code).toBe(0);
    const mounted = t.cli(['push', ref('copy/app:1')]);
    expect(mounted.code, mounted.stderr).toBe(0);
    expect(mounted.stdout).toMatch(/^[0-9a-f]{12}: Mounted from pushed\/app$/m);
    expect(mounted.stdout).toContain(`1: digest: ${digest}`);
  });

  it('says clearly what is wrong with a name, a tag or a registry that is not there', async () => {
    // A port nothing listens on: taken from the kernel, then let go.
    const closedPort = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    const missing = t.cli(['pull', ref('test/app:nosuchtag')]);
    expect(missing.code).toBe(125);
    expect(missing.stderr).toMatch(/^berth: manifest for .*test\/app:nosuchtag not found: manifest unknown/);
    const bad = t.cli(['pull', 'Bad/Name']);
    expect(bad.stderr).toMatch(/invalid reference format/);
    const down = t.cli(['pull', `127.0.0.1:${closedPort}/x:1`]);
    expect(down.code).toBe(125);
    expect(down.stdout).toBe('');
    expect(down.stderr).toMatch(new RegExp(`^berth: cannot reach registry 127\\.0\\.0\\.1:${closedPort}: .*ECONNREFUSED`));
    for (const r of [missing, bad, down]) expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe.skipIf(skipRegistry('berth pull with credentials', 'token') || skipRegistry('berth pull with credentials', 'basic'))('berth pull with credentials', () => {
  let t: TestRoot;
  let work: string;
  let layer: Buffer;
  const registries: RegistryFixture[] = [];

  beforeAll(async () => {
    t = makeTestRoot();
    work = mkdtempSync('/tmp/berth-it-pullauth-');
    layer = await busyboxLayer(work);
  });
  afterAll(async () => {
    await t?.cleanup();
    for (const r of registries) await r.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  for (const auth of ['basic', 'token'] as const) {
    it(`pulls from a registry with ${auth} auth after login, never showing the password`, async () => {
      const reg = await startRegistry({ auth, password: 's3cret-pw' });
      registries.push(reg);
      const layout = path.join(work, auth);
      writeOciLayout(layout, { layers: [layer, tarOf({ 'who.txt': `${auth}\n` })], config: { Cmd: ['cat', '/who.txt'] } });
      await skopeoCopy(`oci:${layout}:latest`, `docker://${reg.host}/private/app:1`, { creds: `${reg.user}:${reg.password}` });
      const config = path.join(work, `config-${auth}`);
      // Asynchronous: the token server answers from this very process, which spawnSync would block.
      const cli = (args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> =>
        new Promise((resolve) => {
          const child = spawn(process.execPath, [cliPath, '--root', t.root, '--run-root', t.runRoot, '--config', config, ...args]);
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
          child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          child.stdin.end(input ?? '');
          child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
        });

      const denied = await cli(['pull', `${reg.host}/private/app:1`]);
      expect(denied.code).toBe(125);
      expect(denied.stderr).toMatch(/pull access denied for .*private\/app:1.*berth login/);

      // The library checks credentials the same way (the Engine API's POST /auth).
      await expect(t.engine.login(reg.host, { username: reg.user!, password: 'nope' })).rejects.toThrow(/unauthorized/);
      expect(await t.engine.login(reg.host, { username: reg.user!, password: reg.password! })).toEqual({ Status: 'Login Succeeded' });

      const wrong = await cli(['login', '-u', reg.user!, '--password-stdin', reg.host], 'nope\n');
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/unauthorized/);
      const login = await cli(['login', '-u', reg.user!, '--password-stdin', reg.host], `${reg.password}\n`);
      expect(login.code, login.stderr).toBe(0);
      expect(login.stdout).toContain('Login Succeeded');
      const file = path.join(config, 'config.json');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { auths: Record<string, { auth: string }> };
      expect(Buffer.from(saved.auths[reg.host]!.auth, 'base64').toString()).toBe(`${reg.user}:${reg.password}`);

      const before = reg.tokensIssued();
      const pulled = await cli(['-l', 'debug', 'pull', `${reg.host}/private/app:1`]);
      expect(pulled.code, pulled.stderr).toBe(0);
      if (auth === 'token') {
        // Manifest, config and two layers, with one token for the repository's pull scope.
        expect(reg.tokensIssued() - before).toBe(1);
      }
      for (const r of [denied, wrong, login, pulled]) expect(`${r.stdout}${r.stderr}`).not.toContain(reg.password!);
      expect((await cli(['run', '--rm', `${reg.host}/private/app:1`])).stdout).toBe(`${auth}\n`);

      // Push needs the login as well.
      expect((await cli(['tag', `${reg.host}/private/app:1`, `${reg.host}/private/pushed:1`])).code).toBe(0);
      const pushed = await cli(['push', `${reg.host}/private/pushed:1`]);
      expect(pushed.code, pushed.stderr).toBe(0);
      expect(pushed.stdout).toMatch(/1: digest: sha256:/);

      expect((await cli(['logout', reg.host])).stdout).toBe(`Removing login credentials for ${reg.host}\n`);
      expect((await cli(['rmi', `${reg.host}/private/app:1`])).code).toBe(0);
      expect((await cli(['pull', `${reg.host}/private/app:1`])).code).toBe(125);
    }, 60_000);
  }
});
