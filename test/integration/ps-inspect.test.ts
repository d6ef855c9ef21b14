/**
 * `ps` filters and formats and `inspect` (docker's shape, --format, --type, -s) through the
 * CLI binary, over real containers: running, exited with codes, created, labelled, from two images.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxTar, importBusybox, makeTestRoot, type TestRoot } from '../helpers/berth.js';
import { skipIntegration } from '../helpers/env.js';

describe.skipIf(skipIntegration('ps and inspect'))('ps and inspect', () => {
  let t: TestRoot;
  let img: string;
  const ids: Record<string, string> = {};

  const ok = (args: string[]): string => {
    const r = t.cli(args);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  /** The names ps lists for these arguments, sorted. */
  const names = (...args: string[]): string[] => ok(['ps', ...args, '--format', '{{.Names}}']).split('\n').filter(Boolean).sort();

  beforeAll(() => {
    t = makeTestRoot();
    img = importBusybox(t);
    expect(t.cli(['import', '--change', 'CMD ["true"]', busyboxTar(t.root), 'other:1']).code).toBe(0);
    // Created in this order, so before/since have something to cut.
    ids['web'] = ok(['run', '-d', '--name', 'web', '--label', 'tier=web', '--label', 'app=shop', '-e', 'GREETING=hi', '-e', 'MODE=test', img, 'sleep', '300']).trim();
    expect(t.cli(['run', '--name', 'ok', '--label', 'tier=batch', img, 'sh', '-c', 'echo hello > /data']).code).toBe(0);
    expect(t.cli(['run', '--name', 'bad', img, 'sh', '-c', 'exit 3']).code).toBe(3);
    ok(['create', '--name', 'fresh', img]);
    expect(t.cli(['run', '--name', 'other-c', 'other:1']).code).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await t.cleanup();
  });

  it('filters by status, exit code, name, id, label, ancestor, before and since', () => {
    expect(names()).toEqual(['web']);
    // A status filter lists stopped containers without -a, as docker's does.
    expect(names('-f', 'status=exited')).toEqual(['bad', 'ok', 'other-c']);
    expect(names('-a', '-f', 'status=created')).toEqual(['fresh']);
    expect(names('-f', 'status=running', '-f', 'status=created')).toEqual(['fresh', 'web']);
    expect(names('-f', 'status=paused')).toEqual([]);
    expect(names('-a', '-f', 'exited=3')).toEqual(['bad']);
    expect(names('-a', '-f', 'exited=0')).toEqual(['ok', 'other-c']);
    expect(names('-a', '-f', 'exited=0', '-f', 'exited=3')).toEqual(['bad', 'ok', 'other-c']);
    expect(names('-a', '-f', 'name=^we')).toEqual(['web']);
    expect(names('-a', '-f', 'name=o')).toEqual(['ok', 'other-c']);
    expect(names('-a', '-f', 'name=fresh', '-f', 'name=bad')).toEqual(['bad', 'fresh']);
    expect(names('-a', '-f', `id=${ids['web']!.slice(0, 10)}`)).toEqual(['web']);
    expect(names('-a', '-f', 'label=tier')).toEqual(['ok', 'web']);
    expect(names('-a', '-f', 'label=tier=web')).toEqual(['web']);
    expect(names('-a', '-f', 'label=tier', '-f', 'label=app=shop')).toEqual(['web']);
    expect(names('-a', '-f', 'label=tier', '-f', 'status=exited')).toEqual(['ok']);
    expect(names('-a', '-f', 'ancestor=other:1')).toEqual(['other-c']);
    expect(names('-a', '-f', 'ancestor=busybox:test')).toEqual(['bad', 'fresh', 'ok', 'web']);
    const otherId = ok(['inspect', '--format', '{{.Id}}', 'other:1']).trim();
    expect(names('-a', '-f', `ancestor=${otherId.slice(7, 19)}`)).toEqual(['other-c']);
    expect(names('-a', '-f', 'ancestor=nosuch:image')).toEqual([]);
    expect(names('-a', '-f', 'since=bad')).toEqual(['fresh', 'other-c']);
    expect(names('-a', '-f', 'before=ok')).toEqual(['web']);
    expect(ok(['ps', '-a', '-q', '-f', 'name=web', '--no-trunc'])).toBe(`${ids['web']}\n`);
  });

  it('refuses bad filters with docker\'s messages', () => {
    for (const [filter, msg] of [
      ['bogus=1', "invalid filter 'bogus'"],
      ['status=sleeping', "invalid filter 'status=sleeping'"],
      ['exited=x', "invalid filter 'exited=x'"],
      ['status', 'bad format of filter (expected name=value): status'],
      ['before=nosuch', 'No such container: nosuch'],
    ] as const) {
      const r = t.cli(['ps', '-a', '-f', filter]);
      expect(r.code, filter).toBe(125);
      expect(r.stderr).toContain(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it("prints docker's columns and status strings", () => {
    const lines = ok(['ps', '-a']).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/);
    const row = (name: string): string => lines.find((l) => l.endsWith(` ${name}`)) ?? '';
    expect(row('web')).toMatch(/^[0-9a-f]{12}\s+busybox:test\s+"sleep 300"\s+(Less than a second|\d+ seconds?) ago\s+Up (Less than a second|\d+ seconds?)\s+web$/);
    expect(row('bad')).toMatch(/"sh -c exit 3"\s+.* ago\s+Exited \(3\) .* ago\s+bad$/);
    expect(row('ok')).toMatch(/"sh -c echo hello > …"/);
    expect(row('fresh')).toMatch(/\s+Created\s+fresh$/);
    // Columns line up: every row's NAMES starts where the header's does.
    const namesAt = lines[0]!.indexOf('NAMES');
    for (const l of lines.slice(1)) expect(l.slice(namesAt - 3, namesAt)).toBe('   ');
    expect(ok(['ps', '-l', '--format', '{{.Names}}'])).toBe('other-c\n');
    expect(ok(['ps', '-n', '2', '--format', '{{.Names}}'])).toBe('other-c\nfresh\n');
  });

  it('shows sizes with -s: bytes written and the virtual size with the image', () => {
    const out = ok(['ps', '-a', '-s', '-f', 'name=^ok$']);
    expect(out.split('\n')[0]).toMatch(/\s+NAMES\s+SIZE$/);
    expect(out).toMatch(/ ok\s+6B \(virtual \d+(\.\d+)?[kM]B\)\n$/);
    expect(ok(['ps', '-a', '-f', 'name=^ok$', '--format', '{{.Size}}'])).toMatch(/^6B \(virtual /);
    expect(Number(ok(['inspect', '-s', '--format', '{{.SizeRw}}', 'ok']).trim())).toBe(6);
    expect(Number(ok(['inspect', '-s', '--format', '{{.SizeRootFs}}', 'ok']).trim())).toBeGreaterThan(1000);
  });

  it('formats rows with templates, table and json', () => {
    expect(ok(['ps', '--format', '{{.ID}} {{.State}} {{upper .Names}} {{.Label "tier"}}'])).toBe(`${ids['web']!.slice(0, 12)} running WEB web\n`);
    expect(ok(['ps', '--format', 'table {{.Names}}\t{{.Label "app"}}\t{{.Status}}'])).toMatch(/^NAMES\s+LABEL\s+STATUS\nweb\s+shop\s+Up /);
    expect(ok(['ps', '--format', '{{.Names}}\t{{.Labels}}'])).toBe('web\tapp=shop,tier=web\n');
    expect(ok(['ps', '--format', '{{if eq .State "running"}}{{.Names}} is up{{end}}'])).toBe('web is up\n');
    const json = ok(['ps', '-a', '--format', 'json', '-f', 'name=web']).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(json).toHaveLength(1);
    expect(Object.keys(json[0]!)).toEqual(['Command', 'CreatedAt', 'ID', 'Image', 'Labels', 'LocalVolumes', 'Mounts', 'Names', 'Networks', 'Ports', 'RunningFor', 'Size', 'State', 'Status']);
    expect(json[0]).toMatchObject({ Command: '"sleep 300"', ID: ids['web']!.slice(0, 12), Image: 'busybox:test', Labels: 'app=shop,tier=web', Names: 'web', State: 'running', Networks: 'bridge' });
    expect(json[0]!['CreatedAt']).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC$/);
    const bad = t.cli(['ps', '--format', '{{.Nope}}']);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toContain('template parsing error: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.ContainerContext');
    const unclosed = t.cli(['ps', '--format', '{{.Names']);
    expect(unclosed.code).toBe(125);
    expect(unclosed.stderr).toContain('template parsing error: template: :1: unclosed action');
  });

  it('inspects containers in docker\'s shape, Runtime hidden', () => {
    const [web] = JSON.parse(ok(['inspect', 'web'])) as Array<Record<string, unknown>>;
    expect(Object.keys(web!)).toEqual([
      'Id', 'Created', 'Path', 'Args', 'State', 'Image', 'ResolvConfPath', 'HostnamePath', 'HostsPath', 'LogPath', 'Name',
      'RestartCount', 'Driver', 'Platform', 'MountLabel', 'ProcessLabel', 'AppArmorProfile', 'ExecIDs', 'HostConfig',
      'GraphDriver', 'Mounts', 'Config', 'NetworkSettings',
    ]);
    expect(Object.keys(web!['State'] as object)).toEqual(['Status', 'Running', 'Paused', 'Restarting', 'OOMKilled', 'Dead', 'Pid', 'ExitCode', 'Error', 'StartedAt', 'FinishedAt']);
    expect(web).toMatchObject({
      Id: ids['web'],
      Name: '/web',
      Driver: 'overlay2',
      Platform: 'linux',
      Mounts: [],
      HostConfig: { RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, LogConfig: { Type: 'json-file' }, NetworkMode: 'bridge', AutoRemove: false },
      Config: { Image: 'busybox:test', Cmd: ['sleep', '300'], Labels: { app: 'shop', tier: 'web' }, AttachStdin: false },
      NetworkSettings: {
        Bridge: '',
        SandboxID: ids['web'],
        Ports: {},
        IPAddress: expect.stringMatching(/^10\.231\.\d+\.\d+$/),
        Gateway: expect.stringMatching(/^10\.231\.\d+\.1$/),
        MacAddress: expect.stringMatching(/^02:42:0a:e7:/),
        Networks: { bridge: expect.objectContaining({ NetworkID: expect.stringMatching(/^[0-9a-f]{64}$/), IPPrefixLen: 24 }) },
      },
    });
    expect(web!['LogPath']).toMatch(new RegExp(`/${ids['web']}-json\\.log$`));
    expect((web!['GraphDriver'] as { Data: Record<string, string> }).Data['UpperDir']).toMatch(/\/upper$/);
    expect(web).not.toHaveProperty('Runtime');
  });

  it('runs inspect --format templates, one line per object', () => {
    expect(ok(['inspect', '--format', '{{.State.Status}}', 'web', 'bad', 'fresh'])).toBe('running\nexited\ncreated\n');
    expect(ok(['inspect', '-f', '{{.State.ExitCode}} {{.State.Running}}', 'bad'])).toBe('3 false\n');
    expect(ok(['inspect', '--format', '{{json .Config.Labels}}', 'web'])).toBe('{"app":"shop","tier":"web"}\n');
    expect(JSON.parse(ok(['inspect', '--format', '{{json .Config}}', 'web']))).toMatchObject({ Cmd: ['sleep', '300'], Image: 'busybox:test' });
    expect(ok(['inspect', '--format', '{{.NetworkSettings.IPAddress}}', 'web'])).toMatch(/^10\.231\.\d+\.\d+\n$/);
    expect(ok(['inspect', '--format', '{{range .Config.Env}}{{println .}}{{end}}', 'web'])).toBe('GREETING=hi\nMODE=test\n\n');
    expect(ok(['inspect', '--format', '{{.Name}} {{.HostConfig.RestartPolicy.Name}} {{index .Config.Labels "tier"}}', 'web', 'ok'])).toBe('/web no web\n/ok no batch\n');
    expect(ok(['inspect', '--format', '{{.Id}}', '--type', 'image', 'busybox:test'])).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    const missingKey = t.cli(['inspect', '--format', '{{.Nope}}', 'web']);
    expect(missingKey.code).not.toBe(0);
    expect(missingKey.stderr).toContain('Template parsing error: template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"');
  });

  it('looks for one kind with --type and reports what it does not find', () => {
    const asContainer = t.cli(['inspect', '--type', 'container', 'busybox:test']);
    expect(asContainer.code).toBe(1);
    expect(asContainer.stderr).toBe('Error: No such container: busybox:test\n');
    const both = t.cli(['inspect', '--format', '{{.Name}}', 'web', 'nosuch']);
    expect(both.code).toBe(1);
    expect(both.stdout).toBe('/web\n');
    expect(both.stderr).toBe('Error: No such object: nosuch\n');
    expect(t.cli(['inspect', '--type', 'volume', 'web']).stderr).toContain('"volume" is not a valid value for --type');
    expect(ok(['container', 'inspect', '--format', '{{.Name}}', 'web'])).toBe('/web\n');
    const [image] = JSON.parse(ok(['image', 'inspect', 'busybox:test'])) as Array<Record<string, unknown>>;
    expect(Object.keys(image!)).toEqual([
      'Id', 'RepoTags', 'RepoDigests', 'Parent', 'Comment', 'Created', 'Container', 'ContainerConfig', 'DockerVersion', 'Author',
      'Config', 'Architecture', 'Os', 'Size', 'VirtualSize', 'GraphDriver', 'RootFS', 'Metadata',
    ]);
    expect(image!['VirtualSize']).toBe(image!['Size']);
    const imageOfContainer = t.cli(['image', 'inspect', 'web']);
    expect(imageOfContainer.code).toBe(1);
    expect(imageOfContainer.stderr).toBe('Error: No such image: web\n');
  });
});

describe.skipIf(skipIntegration('ps over many containers'))('ps over many containers', () => {
  let t: TestRoot;

  beforeAll(async () => {
    t = makeTestRoot();
    const img = importBusybox(t);
    for (let i = 0; i < 200; i++) await t.engine.create({ image: img, cmd: ['true'], name: `c${i}`, labels: { n: String(i % 2) } });
  }, 300_000);
  afterAll(async () => {
    await t.cleanup();
  }, 300_000);

  it('lists 200 created containers', () => {
    const lines = t.cli(['ps', '-a']).stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(201);
    expect(lines.filter((l) => /\s+Created\s+c\d+$/.test(l))).toHaveLength(200);
    expect(t.cli(['ps', '-a', '-q', '-f', 'label=n=1']).stdout.trim().split('\n')).toHaveLength(100);
    expect(t.cli(['ps', '-q']).stdout).toBe('');
  });
});
