/**
 * diff, commit, export and cp on real containers, through the CLI binary and the Engine,
 * including containers that try to lead cp out of their root through symlinks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chownSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cliPath, importBusybox, makeTestRoot, type TestRoot } from '../helpers/berth.js';
import { skipIntegration } from '../helpers/env.js';
import { leftoverMounts } from '../helpers/leaks.js';

/** Names in a tar (GNU tar lists what it reads). */
function tarList(tar: Buffer | string): string[] {
  const r = spawnSync('tar', ['-t', ...(typeof tar === 'string' ? ['-f', tar] : [])], { input: typeof tar === 'string' ? undefined : tar, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`tar -t failed: ${r.stderr.toString()}`);
  return r.stdout.toString().split('\n').filter(Boolean);
}

/** The body of one file in a tar. */
function tarFile(tar: Buffer, name: string): string {
  const r = spawnSync('tar', ['-xO', name], { input: tar });
  if (r.status !== 0) throw new Error(`tar -xO ${name} failed: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks);
}

/** CLI output as bytes (a tar on stdout). */
function cliBytes(t: TestRoot, args: string[], input?: Buffer): { code: number; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, [cliPath, '--root', t.root, '--run-root', t.runRoot, ...args], { input, maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString() };
}

describe.skipIf(skipIntegration('container filesystem commands'))('diff, commit, export, cp', () => {
  let t: TestRoot;
  let img: string;
  let hostDir: string;
  const SECRET = 'host secret, never to be read through a container\n';
  const canary = (): string => path.join(hostDir, 'canary');

  beforeAll(() => {
    t = makeTestRoot();
    img = importBusybox(t);
    hostDir = path.join(t.root, 'host');
    mkdirSync(hostDir);
    writeFileSync(canary(), SECRET);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const ok = (args: string[], input?: string): string => {
    const r = t.cli(args, input === undefined ? {} : { input });
    expect(r.code, `berth ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };

  /** A stopped container that added /root/new, changed /etc/passwd and deleted /etc/group and /home/user. */
  const changedContainer = (name: string): string => {
    ok(['run', '--name', name, img, 'sh', '-c', 'echo new > /root/new && echo extra >> /etc/passwd && rm /etc/group && rm -r /home/user']);
    return name;
  };

  it('diff lists additions, changes and deletions as docker does, without berth\'s mount points', async () => {
    const c = changedContainer('differ');
    const lines = ok(['diff', c]).trim().split('\n');
    expect(lines).toEqual(['C /etc', 'D /etc/group', 'C /etc/passwd', 'C /home', 'D /home/user', 'C /root', 'A /root/new']);
    const changes = await t.engine.containerChanges(c);
    expect(changes.map((x) => `${'CAD'[x.Kind]} ${x.Path}`)).toEqual(lines);
    expect(t.cli(['diff', 'no-such-container']).stderr).toBe('berth: No such container: no-such-container\n');
  });

  it('commit makes an image that runs with the change and the deletion, with -c, -m and -a', async () => {
    const c = changedContainer('committer');
    const id = ok(['commit', '-m', 'my change', '-a', 'Ann <ann@example.com>', '-c', 'ENV COLOR=blue', '-c', 'CMD ["cat", "/root/new"]', c, 'snap:v1']).trim();
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(ok(['run', '--rm', 'snap:v1'])).toBe('new\n');
    const seen = ok(['run', '--rm', 'snap:v1', 'sh', '-c', 'echo $COLOR; tail -n1 /etc/passwd; test -e /etc/group || echo no-group; test -e /home/user || echo no-user']);
    expect(seen).toBe('blue\nextra\nno-group\nno-user\n');
    const top = ok(['history', '--no-trunc', 'snap:v1']).split('\n')[1]!;
    expect(top).toContain('my change');
    expect(top).toContain('sh -c echo new > /root/new');
    const [inspected] = JSON.parse(ok(['inspect', 'snap:v1'])) as Array<{ Id: string; Author: string; Comment: string; Config: { Env: string[]; Cmd: string[] } }>;
    expect(inspected!.Id).toBe(id);
    expect(inspected!.Author).toBe('Ann <ann@example.com>');
    expect(inspected!.Comment).toBe('my change');
    expect(inspected!.Config.Env).toContain('COLOR=blue');
    expect(inspected!.Config.Cmd).toEqual(['cat', '/root/new']);
    const [newest] = await t.engine.imageHistory('snap:v1');
    expect(newest).toMatchObject({ Id: id, Comment: 'my change', Tags: ['snap:v1'] });
  });

  it('commit through the Engine keeps the container config and refuses a bad change without storing anything', async () => {
    ok(['run', '--name', 'engine-commit', '-e', 'A=1', '-w', '/tmp', img, 'sh', '-c', 'echo hi > /tmp/hi']);
    const before = (await t.engine.listImages()).length;
    await expect(t.engine.commit('engine-commit', { changes: ['BOGUS x'] })).rejects.toThrow(/BOGUS|unknown|invalid/i);
    expect((await t.engine.listImages()).length).toBe(before);
    const id = await t.engine.commit('engine-commit', { ref: 'snap:engine' });
    const cfg = (await t.engine.images.resolve(id)).config.config!;
    expect(cfg.Env).toContain('A=1');
    expect(cfg.WorkingDir).toBe('/tmp');
    expect(ok(['run', '--rm', 'snap:engine', 'cat', 'hi'])).toBe('hi\n');
  });

  it('export writes the flattened filesystem with the change and without deleted files', async () => {
    const c = changedContainer('exporter');
    const out = path.join(t.root, 'export.tar');
    ok(['export', '-o', out, c]);
    const names = tarList(out);
    expect(names).toContain('root/new');
    expect(names).toContain('bin/busybox');
    expect(names).not.toContain('etc/group');
    expect(names.some((n) => n.startsWith('home/user'))).toBe(false);
    const piped = cliBytes(t, ['export', c]);
    expect(piped.code, piped.stderr).toBe(0);
    expect(tarList(piped.stdout)).toEqual(names);
    expect(tarFile(piped.stdout, 'etc/passwd')).toMatch(/extra\n$/);
    const viaEngine = await collect(await t.engine.exportContainer(c));
    expect(tarList(viaEngine)).toEqual(names);
    const tty = spawnSync('script', ['-qec', `${process.execPath} ${cliPath} --root ${t.root} --run-root ${t.runRoot} export ${c}`, '/dev/null'], { encoding: 'utf8' });
    expect(tty.stdout).toContain('cowardly refusing to save to a terminal. Use the -o flag or redirect');
  });

  describe.each(['stopped', 'running'] as const)('cp with a %s container', (state) => {
    let c: string;
    const local = (...p: string[]): string => path.join(t.root, `cp-${state}`, ...p);

    beforeAll(() => {
      c = `cp-${state}`;
      const setup = 'mkdir -p /data/sub && echo one > /data/one && echo two > /data/sub/two && echo file > /file';
      if (state === 'stopped') ok(['run', '--name', c, img, 'sh', '-c', setup]);
      else ok(['run', '-d', '--name', c, img, 'sh', '-c', `${setup} && touch /ready && sleep 300`]);
      if (state === 'running') {
        for (let i = 0; i < 200 && t.cli(['cp', `${c}:/ready`, '-']).code !== 0; i++) spawnSync('sleep', ['0.05']);
      }
      mkdirSync(local(), { recursive: true });
    });
    afterAll(() => {
      t.cli(['rm', '-f', c]);
    });

    it('stats container paths as docker (Go file modes), through symlinks inside the container', async () => {
      const dir = await t.engine.statContainerPath(c, '/data');
      expect(dir).toMatchObject({ name: 'data', mode: 2 ** 31 + 0o755, linkTarget: '' });
      expect(await t.engine.statContainerPath(c, '/file')).toMatchObject({ name: 'file', size: 5, mode: 0o644 });
      expect(await t.engine.statContainerPath(c, '/bin/sh')).toMatchObject({ name: 'sh', mode: 2 ** 27 + 0o777, linkTarget: 'busybox' });
      await expect(t.engine.statContainerPath(c, '/nope')).rejects.toThrow(`Could not find the file /nope in container ${c}`);
    });

    it('copies a file and a directory out, `dir/.` as contents, `-` as a tar', () => {
      ok(['cp', `${c}:/file`, local('file')]);
      expect(readFileSync(local('file'), 'utf8')).toBe('file\n');
      mkdirSync(local('into'));
      ok(['cp', `${c}:/data`, local('into')]);
      expect(readFileSync(local('into', 'data', 'sub', 'two'), 'utf8')).toBe('two\n');
      ok(['cp', `${c}:/data/.`, local('contents')]);
      expect(readdirSync(local('contents')).sort()).toEqual(['one', 'sub']);
      mkdirSync(local('contents2'));
      ok(['cp', `${c}:/data/.`, local('contents2')]);
      expect(readdirSync(local('contents2')).sort()).toEqual(['one', 'sub']);
      // Out of the container, files belong to the caller.
      expect(statSync(local('into', 'data', 'one')).uid).toBe(process.getuid!());
      const tar = cliBytes(t, ['cp', `${c}:/data`, '-']);
      expect(tar.code, tar.stderr).toBe(0);
      expect(tarList(tar.stdout).sort()).toEqual(['data/', 'data/one', 'data/sub/', 'data/sub/two']);
      const missing = t.cli(['cp', `${c}:/nope`, local('x')]);
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toBe(`berth: Could not find the file /nope in container ${c}\n`);
    });

    it('copies a file and a directory in, `dir/.` as contents, `-` from a tar, owned by root unless -a', () => {
      mkdirSync(local('up', 'tree', 'deep'), { recursive: true });
      writeFileSync(local('up', 'tree', 'deep', 'f'), 'deep\n');
      writeFileSync(local('up', 'plain'), 'plain\n');
      chownSync(local('up', 'plain'), 1234, 4321);
      ok(['cp', local('up', 'plain'), `${c}:/data/`]);
      ok(['cp', local('up', 'tree'), `${c}:/data`]);
      ok(['cp', local('up', 'tree', '.'), `${c}:/newdir`]);
      ok(['cp', '-a', local('up', 'plain'), `${c}:/kept`]);
      const tar = spawnSync('tar', ['-C', local('up'), '-cf', '-', 'plain']).stdout;
      const fromStdin = cliBytes(t, ['cp', '-', `${c}:/tmp`], tar);
      expect(fromStdin.code, fromStdin.stderr).toBe(0);
      const files = ['/data/plain', '/data/tree/deep/f', '/newdir/deep/f', '/tmp/plain'];
      const owners = ['/data/plain', '/kept', '/tmp/plain'];
      if (state === 'running') {
        // Seen from the host through the container's own root: what its processes see.
        const pid = JSON.parse(ok(['inspect', c]))[0].State.Pid as number;
        const inRoot = (p: string): string => `/proc/${pid}/root${p}`;
        expect(files.map((f) => readFileSync(inRoot(f), 'utf8'))).toEqual(['plain\n', 'deep\n', 'deep\n', 'plain\n']);
        expect(owners.map((f) => `${statSync(inRoot(f)).uid}:${statSync(inRoot(f)).gid}`)).toEqual(['0:0', '1234:4321', '0:0']);
      } else {
        ok(['commit', c, `cp-check:${state}`]);
        const out = ok(['run', '--rm', `cp-check:${state}`, 'sh', '-c', `cat ${files.join(' ')}; stat -c %u:%g ${owners.join(' ')}`]);
        expect(out).toBe('plain\ndeep\ndeep\nplain\n0:0\n1234:4321\n0:0\n');
      }
      mkdirSync(local('clash', 'file'), { recursive: true });
      const clash = t.cli(['cp', local('clash', 'file'), `${c}:/`]);
      expect(clash.stderr).toBe('berth: cannot overwrite non-directory "/file" with directory "file/"\n');
      const noParent = t.cli(['cp', local('up', 'plain'), `${c}:/no/such/dir/x`]);
      expect(noParent.code).not.toBe(0);
      expect(noParent.stderr).toBe(`berth: Could not find the file /no/such/dir in container ${c}\n`);
    });
  });

  describe('symlinks that point out of the container', () => {
    let c: string;
    const links = () => [
      // Absolute, relative and chained links, all of which lead to the host dir if resolved on the host.
      `busybox ln -s / /evil`,
      `busybox ln -s ../../../../../../../../.. /rel`,
      `busybox ln -s /evil${hostDir} /chain`,
      `mkdir -p ${hostDir} && echo container-own > ${hostDir}/canary`,
    ].join(' && ');

    beforeAll(() => {
      c = 'escaper';
      ok(['run', '--name', c, img, 'sh', '-c', links()]);
    });

    it.each([`/evil${'/'}HOST/canary`, `/rel/HOST/canary`, '/chain/canary'])('reads %s inside the container root only', async (p) => {
      const src = p.replace('/HOST', hostDir);
      const tar = cliBytes(t, ['cp', `${c}:${src}`, '-']);
      expect(tar.code, tar.stderr).toBe(0);
      expect(tarFile(tar.stdout, 'canary')).toBe('container-own\n');
      const { stream } = await t.engine.getArchive(c, src);
      expect(tarFile(await collect(stream), 'canary')).toBe('container-own\n');
      expect(readFileSync(canary(), 'utf8')).toBe(SECRET);
    });

    it('writes through the links inside the container root only', async () => {
      writeFileSync(path.join(t.root, 'payload'), 'payload\n');
      for (const dest of [`/evil${hostDir}/canary`, `/rel${hostDir}/canary`, '/chain/canary', '/chain/', '/evil/']) {
        ok(['cp', path.join(t.root, 'payload'), `${c}:${dest}`]);
      }
      const tar = (await import('../helpers/tar.js')).packTar;
      await t.engine.putArchive(c, '/evil', (async function* () {
        yield await tar([[{ name: `rel${hostDir}/canary` }, 'via engine\n']]);
      })());
      expect(readFileSync(canary(), 'utf8')).toBe(SECRET);
      expect(readdirSync(hostDir)).toEqual(['canary']);
      const inside = cliBytes(t, ['cp', `${c}:${hostDir}`, '-']);
      expect(tarFile(inside.stdout, path.basename(hostDir) + '/canary')).toBe('via engine\n');
      expect(tarList(inside.stdout)).toContain(`${path.basename(hostDir)}/payload`);
    });

    it('confines a tar with its own escaping symlink to the container', async () => {
      const { packTar } = await import('../helpers/tar.js');
      const tar = await packTar([
        [{ name: 'out', type: 'symlink', linkname: hostDir }],
        [{ name: 'out/canary' }, 'from tar\n'],
        [{ name: 'up', type: 'symlink', linkname: '../../../../..' }],
        [{ name: `up${hostDir}/canary` }, 'from tar 2\n'],
      ]);
      const r = cliBytes(t, ['cp', '-', `${c}:/tmp`], tar);
      expect(r.code, r.stderr).toBe(0);
      expect(readFileSync(canary(), 'utf8')).toBe(SECRET);
      await expect(t.engine.putArchive(c, '/tmp', (async function* () {
        yield await packTar([[{ name: '../../../../escape' }, 'x']]);
      })())).rejects.toThrow(/outside/);
    });

    it('keeps a container swapping a directory for a symlink to / inside its root', async () => {
      const racer = 'racer';
      const swap = `mkdir -p /d${hostDir} && echo racer-own > /d${hostDir}/canary && busybox mv /d /real && touch /ready && ` +
        `while true; do busybox mv /real /d; busybox mv /d /real; busybox ln -s / /d; rm /d; done`;
      ok(['run', '-d', '--name', racer, img, 'sh', '-c', swap]);
      for (let i = 0; i < 200 && t.cli(['cp', `${racer}:/ready`, '-']).code !== 0; i++) spawnSync('sleep', ['0.05']);
      for (let i = 0; i < 25; i++) {
        try {
          const { stream } = await t.engine.getArchive(racer, `/d${hostDir}/canary`);
          expect(tarFile(await collect(stream), 'canary')).toBe('racer-own\n');
        } catch (err) {
          // The path was gone at that moment (a rename in flight): never the host's file.
          expect(String(err)).toMatch(/Could not find the file/);
        }
      }
      expect(readFileSync(canary(), 'utf8')).toBe(SECRET);
      ok(['rm', '-f', racer]);
    });
  });

  it('leaves nothing mounted', () => {
    expect(leftoverMounts().filter((l) => l.includes(t.root))).toEqual([]);
    expect(lstatSync(t.root).isDirectory()).toBe(true);
  });
});
