import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createOptionsSchema } from '../../src/container/options.js';
import { FlagError, parseFlags } from '../../src/cli/flags.js';
import { renderFlagUsages } from '../../src/cli/help.js';
import { createFlags, parseLabelArg, runFlags, toCreateOptions } from '../../src/cli/run-flags.js';

const host = { HOME: '/root', TERM: 'xterm' };

/** `berth run ARGS` as the CLI reads it: run's table, flags ending at the image. */
const run = (args: string[], env: Readonly<Record<string, string | undefined>> = host) => {
  const parsed = parseFlags(runFlags, args, { interspersed: false });
  return { parsed, options: toCreateOptions(parsed, parsed.positionals, env) };
};

const flagError = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof FlagError) return err.message;
    throw err;
  }
  throw new Error('expected a FlagError');
};

const dir = mkdtempSync(join(tmpdir(), 'berth-run-flags-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const envFile = (name: string, content: string): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

describe('run and create flag tables', () => {
  it('give create all of run\'s flags but --detach and --detach-keys', () => {
    const runNames: string[] = runFlags.map((f) => f.long).sort();
    const createNames: string[] = createFlags.map((f) => f.long).sort();
    expect(runNames.filter((n) => !createNames.includes(n))).toEqual(['detach', 'detach-keys']);
    expect(createNames.every((n) => runNames.includes(n))).toBe(true);
    expect(createNames).toContain('rm');
    expect(() => parseFlags(createFlags, ['-d', 'img'], { interspersed: false })).toThrow("unknown shorthand flag: 'd' in -d");
  });

  it("show docker's help lines", () => {
    // docker's own words and value names; the longest head sets the description column.
    const lines = renderFlagUsages(runFlags, { columns: 200 }).split('\n');
    const row = (head: string, description: string): string => `${head.padEnd(36)}   ${description}`;
    expect(lines).toEqual([
      row('      --add-host list', 'Add a custom host-to-IP mapping (host:ip)'),
      row('      --cap-add list', 'Add Linux capabilities'),
      row('      --cap-drop list', 'Drop Linux capabilities'),
      row('      --cgroup-parent string', 'Optional parent cgroup for the container'),
      row('  -c, --cpu-shares int', 'CPU shares (relative weight)'),
      row('      --cpus decimal', 'Number of CPUs'),
      row('  -d, --detach', 'Run container in background and print container ID'),
      row('      --detach-keys string', 'Override the key sequence for detaching a container'),
      row('      --dns list', 'Set custom DNS servers'),
      row('      --dns-option list', 'Set DNS options'),
      row('      --dns-search list', 'Set custom DNS search domains'),
      row('      --entrypoint string', 'Overwrite the default ENTRYPOINT of the image'),
      row('  -e, --env list', 'Set environment variables'),
      row('      --env-file list', 'Read in a file of environment variables'),
      row('      --expose list', 'Expose a port or a range of ports'),
      row('      --health-cmd string', 'Command to run to check health'),
      row('      --health-interval duration', 'Time between running the check (ms|s|m|h) (default 0s)'),
      row('      --health-retries int', 'Consecutive failures needed to report unhealthy'),
      row('      --health-start-period duration', 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)'),
      row('      --health-timeout duration', 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)'),
      row('  -h, --hostname string', 'Container host name'),
      row('  -i, --interactive', 'Keep STDIN open even if not attached'),
      row('      --ip string', 'IPv4 address (e.g., 172.30.100.104)'),
      row('  -l, --label list', 'Set meta data on a container'),
      row('      --link list', 'Add link to another container'),
      row('      --log-driver string', 'Logging driver for the container (json-file or none)'),
      row('      --log-opt list', 'Log driver options (json-file: max-size, max-file)'),
      row('  -m, --memory bytes', 'Memory limit'),
      row('      --mount mount', 'Attach a filesystem mount to the container'),
      row('      --name string', 'Assign a name to the container'),
      row('      --network network', 'Connect a container to a network'),
      row('      --network-alias list', 'Add network-scoped alias for the container'),
      row('      --no-healthcheck', 'Disable any container-specified HEALTHCHECK'),
      row('      --pids-limit int', 'Tune container pids limit (set -1 for unlimited)'),
      row('      --privileged', 'Give extended privileges to this container'),
      row("  -p, --publish list", "Publish a container's port(s) to the host"),
      row('  -P, --publish-all', 'Publish all exposed ports to random ports'),
      row('      --read-only', "Mount the container's root filesystem as read only"),
      row('      --restart string', 'Restart policy to apply when a container exits (default "no")'),
      row('      --rm', 'Automatically remove the container and its associated anonymous volumes when it exits'),
      row('      --stop-signal string', 'Signal to stop the container'),
      row('      --stop-timeout int', 'Timeout (in seconds) to stop a container'),
      row('      --tmpfs list', 'Mount a tmpfs directory'),
      row('  -t, --tty', 'Allocate a pseudo-TTY'),
      row('  -u, --user string', 'Username or UID (format: <name|uid>[:<group|gid>])'),
      row('  -v, --volume list', 'Bind mount a volume'),
      row('      --volumes-from list', 'Mount volumes from the specified container(s)'),
      row('  -w, --workdir string', 'Working directory inside the container'),
    ]);
  });
});

describe('toCreateOptions', () => {
  it('maps nothing but an image to defaults', () => {
    expect(run(['busybox']).options).toEqual({
      image: 'busybox',
      env: [],
      tty: false,
      openStdin: false,
      autoRemove: false,
      memory: 0,
      nanoCpus: 0,
      cpuShares: 0,
      pidsLimit: 0,
      capAdd: [],
      capDrop: [],
      privileged: false,
      labels: {},
    });
  });

  it('leaves everything after the image to the container', () => {
    const { parsed, options } = run(['-it', '--rm', 'busybox', 'sh', '-c', 'echo hi', '--rm', '-e', 'X=1']);
    expect(options).toMatchObject({ image: 'busybox', cmd: ['sh', '-c', 'echo hi', '--rm', '-e', 'X=1'], tty: true, openStdin: true, autoRemove: true, env: [] });
    expect(parsed.values.detach).toBe(false);
  });

  it('maps every flag', () => {
    const { parsed, options } = run([
      '-d',
      '--name', 'web',
      '-e', 'A=1',
      '-w', '/srv',
      '-u', '1000:1000',
      '-h', 'box',
      '--entrypoint', '/bin/sh',
      '-m', '512m',
      '--cpus', '1.5',
      '-c', '512',
      '--pids-limit', '100',
      '--network', 'host',
      '--cgroup-parent', 'mygroup',
      '--cap-add', 'NET_ADMIN',
      '--cap-add', 'SYS_TIME',
      '--cap-drop', 'ALL',
      '--privileged',
      '-l', 'a=1',
      '--label', 'b',
      '--restart', 'on-failure:3',
      '--log-opt', 'max-size=1m',
      '--log-opt', 'max-file=2',
      '--health-cmd', 'test -f /ok',
      '--health-interval', '2s',
      '--health-retries', '2',
      '--stop-signal', 'SIGUSR1',
      '--stop-timeout', '3',
      'busybox',
      'true',
    ]);
    expect(parsed.values.detach).toBe(true);
    expect(options).toEqual({
      image: 'busybox',
      cmd: ['true'],
      entrypoint: ['/bin/sh'],
      name: 'web',
      env: ['A=1'],
      workingDir: '/srv',
      user: '1000:1000',
      hostname: 'box',
      tty: false,
      openStdin: false,
      autoRemove: false,
      memory: 512 * 1024 * 1024,
      nanoCpus: 1_500_000_000,
      cpuShares: 512,
      pidsLimit: 100,
      networkMode: 'host',
      cgroupParent: 'mygroup',
      capAdd: ['NET_ADMIN', 'SYS_TIME'],
      capDrop: ['ALL'],
      privileged: true,
      labels: { a: '1', b: '' },
      restartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
      logConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '2' } },
      healthcheck: { Test: ['CMD-SHELL', 'test -f /ok'], Interval: 2e9, Timeout: 0, StartPeriod: 0, Retries: 2 },
      stopSignal: 'SIGUSR1',
      stopTimeout: 3,
    });
    // What the CLI builds is what the library accepts.
    expect(() => createOptionsSchema.parse(options)).not.toThrow();
  });

  it('reads the hidden --net as --network', () => {
    expect(run(['--net', 'none', 'img']).options.networkMode).toBe('none');
    expect(run(['--net=host', 'img']).options.networkMode).toBe('host');
  });

  it('takes the network flags as docker does; the engine checks the network exists', () => {
    const o = run(['--network', 'front', '--network-alias', 'api', '--ip', '10.5.0.9', '-p', '8080:80', '-P', '--expose', '9000/udp', '--link', 'db:store', '--dns', '9.9.9.9', '--dns-search', 'example.test', '--dns-option', 'ndots:2', '--add-host', 'h:10.0.0.1', 'img']).options;
    expect(o).toMatchObject({
      networkMode: 'front',
      networkAliases: ['api'],
      ip: '10.5.0.9',
      publish: ['8080:80'],
      publishAll: true,
      expose: ['9000/udp'],
      links: ['db:store'],
      dns: ['9.9.9.9'],
      dnsSearch: ['example.test'],
      dnsOptions: ['ndots:2'],
      addHosts: ['h:10.0.0.1'],
    });
    expect(run(['--network', 'default', 'img']).options.networkMode).toBe('bridge');
  });

  it('refuses --restart with --rm, and --no-healthcheck with --health-*', () => {
    expect(flagError(() => run(['--restart', 'always', '--rm', 'img']))).toBe('Conflicting options: --restart and --rm');
    expect(flagError(() => run(['--no-healthcheck', '--health-cmd', 'true', 'img']))).toBe('--no-healthcheck conflicts with --health-* options');
    expect(run(['--no-healthcheck', 'img']).options.healthcheck).toEqual({ Test: ['NONE'] });
  });

  it('passes -1 as an unlimited pids limit', () => {
    expect(run(['--pids-limit', '-1', 'img']).options.pidsLimit).toBe(-1);
  });

  it('clears the entrypoint with --entrypoint "", and never splits one', () => {
    expect(run(['--entrypoint', '', 'img']).options.entrypoint).toEqual([]);
    expect(run(['--entrypoint=', 'img']).options.entrypoint).toEqual([]);
    expect(run(['--entrypoint', 'sh -c', 'img']).options.entrypoint).toEqual(['sh -c']);
    expect(run(['img']).options).not.toHaveProperty('entrypoint');
  });

  it('omits cmd and empty strings not given', () => {
    const { options } = run(['--name', '', '-u', '', '-w', '', '-h', '', 'img']);
    for (const key of ['cmd', 'name', 'user', 'workingDir', 'hostname', 'cgroupParent', 'networkMode']) {
      expect(options).not.toHaveProperty(key);
    }
  });

  it('puts env-file entries before -e entries, in order', () => {
    const a = envFile('a.env', '# first\nA=from-file\nB=1\nHOME\nUNSET\n');
    const b = envFile('b.env', 'C=2\n');
    const { options } = run(['-e', 'A=from-flag', '--env-file', a, '-e', 'TERM', '--env-file', b, '-e', 'MISSING', 'img']);
    expect(options.env).toEqual(['A=from-file', 'B=1', 'HOME=/root', 'C=2', 'A=from-flag', 'TERM=xterm']);
  });

  it('uses the host environment it is given for bare names', () => {
    expect(run(['-e', 'FOO', 'img'], { FOO: 'bar' }).options.env).toEqual(['FOO=bar']);
    expect(run(['-e', 'FOO', 'img'], {}).options.env).toEqual([]);
  });

  it('reports env-file problems in docker words', () => {
    const bad = envFile('bad.env', 'a b=1\n');
    expect(flagError(() => run(['--env-file', bad, 'img']))).toBe("poorly formatted environment: variable 'a b' contains whitespaces");
    const missing = join(dir, 'missing.env');
    expect(flagError(() => run(['--env-file', missing, 'img']))).toBe(`open ${missing}: no such file or directory`);
  });

  it('keeps the last of repeated labels and splits at the first =', () => {
    expect(run(['-l', 'a=1', '-l', 'a=2', '-l', 'b=x=y', '-l', 'c=', 'img']).options.labels).toEqual({ a: '2', b: 'x=y', c: '' });
  });

  it('names the command in the missing-image error', () => {
    expect(flagError(() => run([]))).toBe('"berth run" requires at least 1 argument.');
    expect(flagError(() => run(['-it', '--rm']))).toBe('"berth run" requires at least 1 argument.');
    const parsed = parseFlags(createFlags, [], { interspersed: false });
    expect(flagError(() => toCreateOptions(parsed, parsed.positionals, host, 'create'))).toBe('"berth create" requires at least 1 argument.');
  });

  it('takes the image after --', () => {
    expect(run(['--rm', '--', 'img', '-x']).options).toMatchObject({ image: 'img', cmd: ['-x'], autoRemove: true });
  });
});

describe('invalid values, in docker words', () => {
  const cases: Array<[string[], string]> = [
    [['-m', '12x', 'img'], `invalid argument "12x" for "-m, --memory" flag: invalid size: '12x'`],
    [['--memory=1.2.3', 'img'], 'invalid argument "1.2.3" for "-m, --memory" flag: strconv.ParseFloat: parsing "1.2.3": invalid syntax'],
    [['--cpus', 'abc', 'img'], 'invalid argument "abc" for "--cpus" flag: failed to parse abc as a rational number'],
    [['--cpus', '1.0000000001', 'img'], 'invalid argument "1.0000000001" for "--cpus" flag: value is too precise'],
    [['--cpus', '-1', 'img'], 'invalid argument "-1" for "--cpus" flag: the number of CPUs must not be negative'],
    [['--cpus', 'NaN', 'img'], 'invalid argument "NaN" for "--cpus" flag: failed to parse NaN as a rational number'],
    [['-c', 'x', 'img'], 'invalid argument "x" for "-c, --cpu-shares" flag: strconv.ParseInt: parsing "x": invalid syntax'],
    [['--pids-limit', '1.5', 'img'], 'invalid argument "1.5" for "--pids-limit" flag: strconv.ParseInt: parsing "1.5": invalid syntax'],
    [['-e', '=V', 'img'], 'invalid argument "=V" for "-e, --env" flag: invalid environment variable: =V'],
    [['-l', '', 'img'], `invalid argument "" for "-l, --label" flag: invalid label '': empty name`],
    [['-l', '=v', 'img'], `invalid argument "=v" for "-l, --label" flag: invalid label '=v': empty name`],
    [['-l', 'a b=c', 'img'], `invalid argument "a b=c" for "-l, --label" flag: label 'a b' contains whitespaces`],
    [['--privileged=maybe', 'img'], 'invalid argument "maybe" for "--privileged" flag: strconv.ParseBool: parsing "maybe": invalid syntax'],
    [['--foo', 'img'], 'unknown flag: --foo'],
    [['-itz', 'img'], "unknown shorthand flag: 'z' in -z"],
    [['--name'], 'flag needs an argument: --name'],
    [['-ite'], "flag needs an argument: 'e' in -e"],
    [['-h'], "flag needs an argument: 'h' in -h"],
  ];
  it.each(cases)('%j: %s', (args, message) => {
    expect(flagError(() => run(args))).toBe(message);
  });

  it('stops at the first bad value, as docker validates each value as it is set', () => {
    expect(flagError(() => run(['-m', '12x', '-m', '1g', 'img']))).toContain('"12x"');
  });
});

describe('parseLabelArg', () => {
  it("splits as docker's label map does", () => {
    expect(parseLabelArg('a=1')).toEqual(['a', '1']);
    expect(parseLabelArg('a')).toEqual(['a', '']);
    expect(parseLabelArg('a=')).toEqual(['a', '']);
    expect(parseLabelArg('com.example.x=y=z')).toEqual(['com.example.x', 'y=z']);
  });
  it('refuses an empty or blank-containing name', () => {
    expect(() => parseLabelArg(' =x')).toThrow("invalid label ' =x': empty name");
    expect(() => parseLabelArg('a\tb')).toThrow("label 'a\tb' contains whitespaces");
  });
});
