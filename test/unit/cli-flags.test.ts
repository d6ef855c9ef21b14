import { describe, expect, expectTypeOf, it } from 'vitest';
import { BerthError } from '../../src/errors.js';
import {
  FlagError,
  defineFlags,
  goQuote,
  goQuoteRune,
  parseFlags,
  parseGoBool,
  parseGoFloat,
  parseGoInt,
  type FlagSpec,
} from '../../src/cli/flags.js';
import { renderCommandHelp, renderFlagUsages, renderRootHelp } from '../../src/cli/help.js';

const flags = defineFlags([
  { long: 'interactive', short: 'i', type: 'bool', description: 'Keep STDIN open even if not attached' },
  { long: 'tty', short: 't', type: 'bool', description: 'Allocate a pseudo-TTY' },
  { long: 'detach', short: 'd', type: 'bool', description: 'Run container in background and print container ID' },
  { long: 'rm', type: 'bool', description: 'Automatically remove the container when it exits' },
  { long: 'name', type: 'string', description: 'Assign a name to the container' },
  { long: 'env', short: 'e', type: 'stringArray', valueName: 'list', description: 'Set environment variables' },
  { long: 'hostname', short: 'h', type: 'string', description: 'Container host name' },
  { long: 'cpu-shares', type: 'int', description: 'CPU shares (relative weight)' },
  { long: 'pids-limit', short: 'p', type: 'int', default: 5, description: 'Tune container pids limit' },
  { long: 'ratio', type: 'number', description: 'A ratio' },
  { long: 'network', aliases: ['net'], type: 'string', description: 'Connect a container to a network' },
  { long: 'dns', type: 'stringArray', default: ['1.1.1.1'], description: 'Set custom DNS servers' },
  {
    long: 'label',
    short: 'l',
    type: 'stringArray',
    description: 'Set meta data',
    validate: (v: string) => {
      if (v.startsWith('=')) throw new Error(`invalid label '${v}': empty name`);
    },
  },
]);

const run = (args: string[]) => parseFlags(flags, args, { interspersed: false });
const parse = (args: string[]) => parseFlags(flags, args);
const failure = (fn: () => unknown): FlagError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof FlagError) return err;
    throw err;
  }
  throw new Error('expected a FlagError');
};

describe('parseFlags: values', () => {
  it('gives every flag its default when nothing is given', () => {
    const r = parse([]);
    expect(r.values).toEqual({
      interactive: false,
      tty: false,
      detach: false,
      rm: false,
      name: '',
      env: [],
      hostname: '',
      'cpu-shares': 0,
      'pids-limit': 5,
      ratio: 0,
      network: '',
      dns: ['1.1.1.1'],
      label: [],
    });
    expect(r.changed.size).toBe(0);
    expect(r.positionals).toEqual([]);
    expect(r.argsLenAtDash).toBe(-1);
    expect(r.help).toBe(false);
  });

  it('types values by the table', () => {
    const r = parse([]);
    expectTypeOf(r.values.rm).toEqualTypeOf<boolean>();
    expectTypeOf(r.values.name).toEqualTypeOf<string>();
    expectTypeOf(r.values.env).toEqualTypeOf<string[]>();
    expectTypeOf(r.values['cpu-shares']).toEqualTypeOf<number>();
  });

  it('reads long flags as --name=x and --name x', () => {
    expect(parse(['--name=x']).values.name).toBe('x');
    expect(parse(['--name', 'x']).values.name).toBe('x');
    expect(parse(['--name=']).values.name).toBe('');
    expect(parse(['--name=a=b']).values.name).toBe('a=b');
  });

  it('takes the next word as a value even when it starts with a dash', () => {
    expect(parse(['--name', '-x']).values.name).toBe('-x');
    expect(parse(['-e', '--rm']).values).toMatchObject({ env: ['--rm'], rm: false });
  });

  it('reads bools as --rm, --rm=false and strconv.ParseBool words', () => {
    expect(parse(['--rm']).values.rm).toBe(true);
    expect(parse(['--rm=false']).values.rm).toBe(false);
    for (const t of ['1', 't', 'T', 'TRUE', 'true', 'True']) expect(parse([`--rm=${t}`]).values.rm).toBe(true);
    for (const f of ['0', 'f', 'F', 'FALSE', 'false', 'False']) expect(parse([`--rm=${f}`]).values.rm).toBe(false);
    // A bool never takes the next word: `--rm false` leaves "false" as a positional.
    expect(parse(['--rm', 'false'])).toMatchObject({ values: { rm: true }, positionals: ['false'] });
    expect(parse(['-d=false']).values.detach).toBe(false);
  });

  it('combines bool shorthands, the last of which may take a value', () => {
    expect(parse(['-it']).values).toMatchObject({ interactive: true, tty: true });
    expect(parse(['-itd']).values).toMatchObject({ interactive: true, tty: true, detach: true });
    expect(parse(['-it', '-e', 'K=V']).values).toMatchObject({ interactive: true, tty: true, env: ['K=V'] });
    expect(parse(['-ite', 'K=V']).values).toMatchObject({ interactive: true, tty: true, env: ['K=V'] });
    expect(parse(['-iteK=V']).values).toMatchObject({ interactive: true, tty: true, env: ['K=V'] });
  });

  it('reads a shorthand value as -eK=V, -e=K=V and -e K=V', () => {
    expect(parse(['-eK=V']).values.env).toEqual(['K=V']);
    expect(parse(['-e=K=V']).values.env).toEqual(['K=V']);
    expect(parse(['-e', 'K=V']).values.env).toEqual(['K=V']);
    // Only "-x=" followed by something drops the "=": `-e=` sets "=", as pflag.
    expect(parse(['-e=']).values.env).toEqual(['=']);
    expect(parse(['-p=7']).values['pids-limit']).toBe(7);
    expect(parse(['-p7']).values['pids-limit']).toBe(7);
  });

  it('collects repeated stringArray values, the first replacing the default', () => {
    expect(parse(['-e', 'A', '-e', 'B', '--env=C']).values.env).toEqual(['A', 'B', 'C']);
    expect(parse(['--dns', '8.8.8.8', '--dns', '9.9.9.9']).values.dns).toEqual(['8.8.8.8', '9.9.9.9']);
    expect(parse([]).values.dns).toEqual(['1.1.1.1']);
  });

  it('keeps the last of a repeated single-value flag', () => {
    expect(parse(['--name', 'a', '--name', 'b']).values.name).toBe('b');
    expect(parse(['--rm', '--rm=false']).values.rm).toBe(false);
  });

  it('records which flags were given, even when given their default', () => {
    const r = parse(['--name', '', '--rm=false', '-l', 'a']);
    expect([...r.changed].sort()).toEqual(['label', 'name', 'rm']);
  });

  it('sets the canonical flag through a hidden alias', () => {
    const r = parse(['--net', 'host']);
    expect(r.values.network).toBe('host');
    expect(r.changed.has('network')).toBe(true);
    expect(parse(['--net=host', '--network=none']).values.network).toBe('none');
  });

  it('reads ints as strconv.ParseInt(s, 0, 64): signs, base prefixes, underscores', () => {
    const int = (s: string): number => parse([`--cpu-shares=${s}`]).values['cpu-shares'];
    expect(int('512')).toBe(512);
    expect(int('-1')).toBe(-1);
    expect(int('+7')).toBe(7);
    expect(int('0x1f')).toBe(31);
    expect(int('0X1F')).toBe(31);
    expect(int('010')).toBe(8);
    expect(int('0o17')).toBe(15);
    expect(int('0b101')).toBe(5);
    expect(int('1_000')).toBe(1000);
    expect(int('0x_ff')).toBe(255);
    expect(int('0')).toBe(0);
  });

  it('reads numbers as strconv.ParseFloat', () => {
    expect(parse(['--ratio', '1.5']).values.ratio).toBe(1.5);
    expect(parse(['--ratio', '.5']).values.ratio).toBe(0.5);
    expect(parse(['--ratio', '2.']).values.ratio).toBe(2);
    expect(parse(['--ratio', '-1e3']).values.ratio).toBe(-1000);
  });
});

describe('parseFlags: positionals', () => {
  it('stops at the first positional when not interspersed (run, exec)', () => {
    const r = run(['-it', 'img', 'sh', '-c', 'echo x', '--rm']);
    expect(r.positionals).toEqual(['img', 'sh', '-c', 'echo x', '--rm']);
    expect(r.values).toMatchObject({ interactive: true, tty: true, rm: false });
  });

  it('reads flags among positionals when interspersed (rm a -f b)', () => {
    const r = parse(['a', '-d', 'b', '--name', 'n', 'c']);
    expect(r.positionals).toEqual(['a', 'b', 'c']);
    expect(r.values).toMatchObject({ detach: true, name: 'n' });
  });

  it('ends the flags at --, and records where', () => {
    const r = parse(['a', '--', '-d', '--name', 'x']);
    expect(r.positionals).toEqual(['a', '-d', '--name', 'x']);
    expect(r.argsLenAtDash).toBe(1);
    expect(r.values.detach).toBe(false);
    const notInterspersed = run(['--rm', '--', 'img', '-it']);
    expect(notInterspersed.positionals).toEqual(['img', '-it']);
    expect(notInterspersed.argsLenAtDash).toBe(0);
    // After the first positional a -- is the container's, not berth's.
    expect(run(['img', '--', 'x']).positionals).toEqual(['img', '--', 'x']);
  });

  it('treats "-" and "" as positionals', () => {
    expect(parse(['-', '', '-d']).positionals).toEqual(['-', '']);
    expect(run(['-', '-d']).positionals).toEqual(['-', '-d']);
  });

  it('parses global options before the command with the same machinery', () => {
    const globals = defineFlags([
      { long: 'root', type: 'string', description: 'Root of the state' },
      { long: 'debug', short: 'D', type: 'bool', description: 'Enable debug mode' },
    ]);
    const g = parseFlags(globals, ['--root', '/tmp/r', '-D', 'run', '-it', '--rm', 'img', 'sh'], { interspersed: false });
    expect(g.values).toEqual({ root: '/tmp/r', debug: true });
    expect(g.positionals).toEqual(['run', '-it', '--rm', 'img', 'sh']);
    const [command, ...rest] = g.positionals;
    expect(command).toBe('run');
    expect(run(rest).positionals).toEqual(['img', 'sh']);
  });
});

describe('parseFlags: help', () => {
  const ps = defineFlags([{ long: 'all', short: 'a', type: 'bool', description: 'Show all containers' }]);

  it('gives every command --help, and -h when no flag has that letter, as cobra', () => {
    expect(parseFlags(ps, ['--help']).help).toBe(true);
    expect(parseFlags(ps, ['-h']).help).toBe(true);
    expect(parseFlags(ps, ['-ah']).help).toBe(true);
    expect(parseFlags(ps, ['-a']).help).toBe(false);
    expect(parseFlags(ps, ['--help=false']).help).toBe(false);
    expect(parse(['--help']).help).toBe(true);
  });

  it('leaves -h to a flag that owns it (run -h is --hostname)', () => {
    expect(parse(['-h', 'box']).values.hostname).toBe('box');
    expect(parse(['-h', 'box']).help).toBe(false);
    expect(failure(() => parse(['-h'])).message).toBe("flag needs an argument: 'h' in -h");
  });

  it('reads a declared help flag', () => {
    const withHelp = defineFlags([{ long: 'help', type: 'bool', hidden: true, description: 'Print usage' }]);
    expect(parseFlags(withHelp, ['--help']).help).toBe(true);
    expect(failure(() => parseFlags(withHelp, ['-h'])).message).toBe("unknown shorthand flag: 'h' in -h");
  });

  it('still reports a bad flag given with --help', () => {
    expect(failure(() => parseFlags(ps, ['--help', '--foo'])).message).toBe('unknown flag: --foo');
  });

  it('stops at --help only where flags are read', () => {
    expect(run(['img', '--help']).help).toBe(false);
  });
});

describe('parseFlags: errors, in docker words', () => {
  const cases: Array<[string[], string]> = [
    [['--foo'], 'unknown flag: --foo'],
    [['--foo=bar'], 'unknown flag: --foo'],
    [['-z'], "unknown shorthand flag: 'z' in -z"],
    [['-iz'], "unknown shorthand flag: 'z' in -z"],
    [['-izt'], "unknown shorthand flag: 'z' in -zt"],
    [['-d='], "unknown shorthand flag: '=' in -="],
    [['--name'], 'flag needs an argument: --name'],
    [['-e'], "flag needs an argument: 'e' in -e"],
    [['-ie'], "flag needs an argument: 'e' in -e"],
    [['---x'], 'bad flag syntax: ---x'],
    [['--=x'], 'bad flag syntax: --=x'],
    [['--cpu-shares', 'x'], 'invalid argument "x" for "--cpu-shares" flag: strconv.ParseInt: parsing "x": invalid syntax'],
    [['--cpu-shares=1.5'], 'invalid argument "1.5" for "--cpu-shares" flag: strconv.ParseInt: parsing "1.5": invalid syntax'],
    [['--cpu-shares=1__0'], 'invalid argument "1__0" for "--cpu-shares" flag: strconv.ParseInt: parsing "1__0": invalid syntax'],
    [['--cpu-shares=0x'], 'invalid argument "0x" for "--cpu-shares" flag: strconv.ParseInt: parsing "0x": invalid syntax'],
    [['--cpu-shares=08'], 'invalid argument "08" for "--cpu-shares" flag: strconv.ParseInt: parsing "08": invalid syntax'],
    [['--cpu-shares='], 'invalid argument "" for "--cpu-shares" flag: strconv.ParseInt: parsing "": invalid syntax'],
    [
      ['--cpu-shares', '99999999999999999999'],
      'invalid argument "99999999999999999999" for "--cpu-shares" flag: strconv.ParseInt: parsing "99999999999999999999": value out of range',
    ],
    [['-p', 'x'], 'invalid argument "x" for "-p, --pids-limit" flag: strconv.ParseInt: parsing "x": invalid syntax'],
    [['--rm=maybe'], 'invalid argument "maybe" for "--rm" flag: strconv.ParseBool: parsing "maybe": invalid syntax'],
    [['--ratio', 'abc'], 'invalid argument "abc" for "--ratio" flag: strconv.ParseFloat: parsing "abc": invalid syntax'],
    [['--ratio', '1e400'], 'invalid argument "1e400" for "--ratio" flag: strconv.ParseFloat: parsing "1e400": value out of range'],
    [['-l', '=x'], `invalid argument "=x" for "-l, --label" flag: invalid label '=x': empty name`],
  ];
  it.each(cases)('%j fails with %s', (args, message) => {
    expect(failure(() => parse(args)).message).toBe(message);
  });

  it('fails before reading later arguments, like pflag', () => {
    expect(failure(() => parse(['--foo', '--bar'])).message).toBe('unknown flag: --foo');
  });

  it('is a one-line InvalidArgument error with exit status 125', () => {
    const err = failure(() => parse(['--foo']));
    expect(err).toBeInstanceOf(BerthError);
    expect(err.kind).toBe('InvalidArgument');
    expect(err.exitCode).toBe(125);
    expect(err.name).toBe('FlagError');
    expect(err.message).not.toContain('\n');
  });

  it('quotes values as Go %q does', () => {
    expect(failure(() => parse(['--cpu-shares', 'a"b\n'])).message).toBe(
      'invalid argument "a\\"b\\n" for "--cpu-shares" flag: strconv.ParseInt: parsing "a\\"b\\n": invalid syntax',
    );
  });
});

describe('defineFlags', () => {
  it('refuses a table that redefines a name or a letter', () => {
    expect(() => defineFlags([
      { long: 'a', short: 'x', type: 'bool', description: '' },
      { long: 'a', type: 'bool', description: '' },
    ])).toThrow(/flag redefined: a/);
    expect(() => defineFlags([
      { long: 'all', short: 'x', type: 'bool', description: '' },
      { long: 'other', short: 'x', type: 'bool', description: '' },
    ])).toThrow(/redefine "x" shorthand/);
    expect(() => defineFlags([
      { long: 'network', aliases: ['net'], type: 'string', description: '' },
      { long: 'net', type: 'string', description: '' },
    ])).toThrow(/flag redefined: net/);
    expect(() => defineFlags([{ long: 'xy', short: 'ab', type: 'bool', description: '' }])).toThrow(/bad shorthand/);
  });
});

describe('Go strconv and quoting', () => {
  it('parses and refuses as Go does', () => {
    expect(parseGoBool('T')).toBe(true);
    expect(() => parseGoBool('yes')).toThrow('strconv.ParseBool: parsing "yes": invalid syntax');
    expect(parseGoInt('-0x10')).toBe(-16);
    expect(parseGoInt('-9223372036854775808')).toBe(-9223372036854775808);
    expect(() => parseGoInt('9223372036854775808')).toThrow('value out of range');
    expect(() => parseGoInt('_1')).toThrow('invalid syntax');
    expect(() => parseGoInt('1_')).toThrow('invalid syntax');
    expect(() => parseGoInt(' 1')).toThrow('invalid syntax');
    expect(parseGoFloat('Inf')).toBe(Infinity);
    expect(parseGoFloat('-infinity')).toBe(-Infinity);
    expect(parseGoFloat('NaN')).toBeNaN();
    expect(parseGoFloat('1_000.5')).toBe(1000.5);
    expect(() => parseGoFloat('-NaN')).toThrow('invalid syntax');
    expect(() => parseGoFloat('1.2.3')).toThrow('strconv.ParseFloat: parsing "1.2.3": invalid syntax');
    expect(() => parseGoFloat('')).toThrow('invalid syntax');
  });

  it('quotes strings and runes as %q', () => {
    expect(goQuote('plain')).toBe('"plain"');
    expect(goQuote('a"b\\c\td')).toBe('"a\\"b\\\\c\\td"');
    expect(goQuote('\x01\x7f')).toBe('"\\x01\\x7f"');
    expect(goQuote('é')).toBe('"é"');
    expect(goQuoteRune('z')).toBe("'z'");
    expect(goQuoteRune("'")).toBe("'\\''");
    expect(goQuoteRune('"')).toBe("'\"'");
  });
});

// docker's own `ps` flags, to compare berth's rendering with the text docker 28 printed.
const psFlags: FlagSpec[] = [
  { long: 'all', short: 'a', type: 'bool', description: 'Show all containers (default shows just running)' },
  { long: 'filter', short: 'f', type: 'stringArray', valueName: 'filter', description: 'Filter output based on conditions provided' },
  {
    long: 'format',
    type: 'string',
    description: [
      'Format output using a custom template:',
      "'table':            Print output in table format with column headers (default)",
      "'table TEMPLATE':   Print output in table format using the given Go template",
      "'json':             Print in JSON format",
      "'TEMPLATE':         Print output using the given Go template.",
      'Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates',
    ].join('\n'),
  },
  { long: 'last', short: 'n', type: 'int', default: -1, description: 'Show n last created containers (includes all states)' },
  { long: 'latest', short: 'l', type: 'bool', description: 'Show the latest created container (includes all states)' },
  { long: 'no-trunc', type: 'bool', description: "Don't truncate output" },
  { long: 'quiet', short: 'q', type: 'bool', description: 'Only display container IDs' },
  { long: 'size', short: 's', type: 'bool', description: 'Display total file sizes' },
  { long: 'help', type: 'bool', hidden: true, description: 'Print usage' },
];

// docker's global options.
const dockerGlobals: FlagSpec[] = [
  { long: 'config', type: 'string', default: '/root/.docker', description: 'Location of client config files' },
  {
    long: 'context',
    short: 'c',
    type: 'string',
    description: 'Name of the context to use to connect to the daemon (overrides DOCKER_HOST env var and default context set with "docker context use")',
  },
  { long: 'debug', short: 'D', type: 'bool', description: 'Enable debug mode' },
  { long: 'host', short: 'H', type: 'stringArray', valueName: 'list', description: 'Daemon socket to connect to' },
  {
    long: 'log-level',
    short: 'l',
    type: 'string',
    default: 'info',
    description: 'Set the logging level ("debug", "info", "warn", "error", "fatal")',
  },
  { long: 'tls', type: 'bool', description: 'Use TLS; implied by --tlsverify' },
  { long: 'tlscacert', type: 'string', default: '/root/.docker/ca.pem', description: 'Trust certs signed only by this CA' },
  { long: 'tlscert', type: 'string', default: '/root/.docker/cert.pem', description: 'Path to TLS certificate file' },
  { long: 'tlskey', type: 'string', default: '/root/.docker/key.pem', description: 'Path to TLS key file' },
  { long: 'tlsverify', type: 'bool', description: 'Use TLS and verify the remote' },
  { long: 'version', short: 'v', type: 'bool', description: 'Print version information and quit' },
];

describe('help', () => {
  it("renders a command's help as docker does on an 80-column screen", () => {
    const text = renderCommandHelp({
      path: 'docker ps',
      usage: '[OPTIONS]',
      description: 'List containers',
      aliases: ['docker container ls', 'docker container list', 'docker container ps', 'docker ps'],
      flags: psFlags,
    });
    expect(text).toBe(`${DOCKER_PS_HELP_80}\n`);
  });

  it('wraps to the terminal width, and falls back to a fixed indent when too narrow', () => {
    expect(renderFlagUsages(psFlags, { columns: 50 })).toBe(DOCKER_PS_OPTIONS_50);
    expect(renderFlagUsages(psFlags, { columns: 30 })).toBe(DOCKER_PS_OPTIONS_30);
  });

  it('renders global options with string defaults quoted, as docker --help', () => {
    expect(renderFlagUsages(dockerGlobals)).toBe(DOCKER_GLOBAL_OPTIONS_80);
  });

  it('names values by type or valueName, and shows non-zero defaults as pflag', () => {
    const text = renderFlagUsages([
      { long: 'detach', short: 'd', type: 'bool', description: 'Run in background' },
      { long: 'env', short: 'e', type: 'stringArray', valueName: 'list', description: 'Set environment variables' },
      { long: 'memory', short: 'm', type: 'string', valueName: 'bytes', description: 'Memory limit' },
      { long: 'cpus', type: 'string', valueName: 'decimal', description: 'Number of CPUs' },
      { long: 'name', type: 'string', description: 'Assign a name' },
      { long: 'cpu-shares', short: 'c', type: 'int', description: 'CPU shares' },
      { long: 'tags', type: 'stringArray', default: ['a', 'b'], description: 'Tags' },
      { long: 'scale', type: 'number', default: 1e6, description: 'Scale' },
      { long: 'ratio', type: 'number', default: 1.5, description: 'Ratio' },
      { long: 'sig-proxy', type: 'bool', default: true, description: 'Proxy signals' },
      { long: 'net', type: 'string', hidden: true, description: 'Hidden' },
    ], { columns: 200 });
    expect(text.split('\n')).toEqual([
      '  -c, --cpu-shares int     CPU shares',
      '      --cpus decimal       Number of CPUs',
      '  -d, --detach             Run in background',
      '  -e, --env list           Set environment variables',
      '  -m, --memory bytes       Memory limit',
      '      --name string        Assign a name',
      '      --ratio float        Ratio (default 1.5)',
      '      --scale float        Scale (default 1e+06)',
      '      --sig-proxy          Proxy signals (default true)',
      '      --tags stringArray   Tags (default [a,b])',
    ]);
  });

  it('leaves out Options when a command shows no flags', () => {
    expect(renderCommandHelp({ path: 'berth wait', usage: 'CONTAINER [CONTAINER...]', description: 'Block until containers stop', flags: [] })).toBe(
      'Usage:  berth wait CONTAINER [CONTAINER...]\n\nBlock until containers stop\n',
    );
  });

  it('renders the top-level help: usage, description, commands, global options', () => {
    const text = renderRootHelp({
      path: 'berth',
      description: 'A container engine for Linux',
      commands: [
        { name: 'run', description: 'Create and run a new container from an image' },
        { name: 'ps', description: 'List containers' },
        { name: 'checkpoint', description: 'Manage checkpoints' },
      ],
      globalFlags: [
        { long: 'root', type: 'string', description: 'Root of the state' },
        { long: 'debug', short: 'D', type: 'bool', description: 'Enable debug mode' },
      ],
    });
    expect(text).toBe(
      [
        'Usage:  berth [OPTIONS] COMMAND',
        '',
        'A container engine for Linux',
        '',
        'Commands:',
        '  run         Create and run a new container from an image',
        '  ps          List containers',
        '  checkpoint  Manage checkpoints',
        '',
        'Global Options:',
        '  -D, --debug         Enable debug mode',
        '      --root string   Root of the state',
        '',
        "Run 'berth COMMAND --help' for more information on a command.",
        '',
      ].join('\n'),
    );
  });

  it('widens the command column for a name longer than cobra\'s minimum', () => {
    const text = renderRootHelp({
      path: 'berth',
      description: 'x',
      commands: [
        { name: 'a-very-long-name', description: 'Long' },
        { name: 'ps', description: 'Short' },
      ],
      globalFlags: [],
    });
    expect(text).toContain('Usage:  berth COMMAND\n');
    expect(text).toContain('  a-very-long-name Long\n  ps               Short\n');
    expect(text).not.toContain('Global Options');
  });
});

// Printed by docker 28.2.2 (`docker ps --help` at 80, 50 and 30 columns, `docker --help` at 80).
const DOCKER_PS_HELP_80 = [
  'Usage:  docker ps [OPTIONS]',
  '',
  'List containers',
  '',
  'Aliases:',
  '  docker container ls, docker container list, docker container ps, docker ps',
  '',
  'Options:',
  '  -a, --all             Show all containers (default shows just running)',
  '  -f, --filter filter   Filter output based on conditions provided',
  '      --format string   Format output using a custom template:',
  "                        'table':            Print output in table format",
  '                        with column headers (default)',
  "                        'table TEMPLATE':   Print output in table format",
  '                        using the given Go template',
  "                        'json':             Print in JSON format",
  "                        'TEMPLATE':         Print output using the given",
  '                        Go template.',
  '                        Refer to https://docs.docker.com/go/formatting/',
  '                        for more information about formatting output with',
  '                        templates',
  '  -n, --last int        Show n last created containers (includes all',
  '                        states) (default -1)',
  '  -l, --latest          Show the latest created container (includes all',
  '                        states)',
  "      --no-trunc        Don't truncate output",
  '  -q, --quiet           Only display container IDs',
  '  -s, --size            Display total file sizes',
].join('\n');

const DOCKER_PS_OPTIONS_50 = [
  '  -a, --all             Show all containers',
  '                        (default shows just',
  '                        running)',
  '  -f, --filter filter   Filter output based',
  '                        on conditions provided',
  '      --format string   Format output using',
  '                        a custom template:',
  "                        'table':           ",
  '                        Print output in',
  '                        table format with',
  '                        column headers',
  '                        (default)',
  "                        'table TEMPLATE':  ",
  '                        Print output in',
  '                        table format using',
  '                        the given Go',
  '                        template',
  "                        'json':            ",
  '                        Print in JSON',
  '                        format',
  "                        'TEMPLATE':        ",
  '                        Print output using',
  '                        the given Go',
  '                        template.',
  '                        Refer to',
  '                        https://docs.docker.com/go/formatting/ for more information about formatting output with templates',
  '  -n, --last int        Show n last created',
  '                        containers',
  '                        (includes all',
  '                        states) (default -1)',
  '  -l, --latest          Show the latest',
  '                        created container',
  '                        (includes all states)',
  "      --no-trunc        Don't truncate output",
  '  -q, --quiet           Only display',
  '                        container IDs',
  '  -s, --size            Display total file sizes',
].join('\n');

const DOCKER_PS_OPTIONS_30 = [
  '  -a, --all             Show all containers (default shows just running)',
  '  -f, --filter filter   Filter output based on conditions provided',
  '      --format string   Format output using a custom template:',
  "                'table':            Print output in table format with column headers (default)",
  "                'table TEMPLATE':   Print output in table format using the given Go template",
  "                'json':             Print in JSON format",
  "                'TEMPLATE':         Print output using the given Go template.",
  '                Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates',
  '  -n, --last int        Show n last created containers (includes all states) (default -1)',
  '  -l, --latest          Show the latest created container (includes all states)',
  "      --no-trunc        Don't truncate output",
  '  -q, --quiet           Only display container IDs',
  '  -s, --size            Display total file sizes',
].join('\n');

const DOCKER_GLOBAL_OPTIONS_80 = [
  '      --config string      Location of client config files (default',
  '                           "/root/.docker")',
  '  -c, --context string     Name of the context to use to connect to the',
  '                           daemon (overrides DOCKER_HOST env var and',
  '                           default context set with "docker context use")',
  '  -D, --debug              Enable debug mode',
  '  -H, --host list          Daemon socket to connect to',
  '  -l, --log-level string   Set the logging level ("debug", "info",',
  '                           "warn", "error", "fatal") (default "info")',
  '      --tls                Use TLS; implied by --tlsverify',
  '      --tlscacert string   Trust certs signed only by this CA (default',
  '                           "/root/.docker/ca.pem")',
  '      --tlscert string     Path to TLS certificate file (default',
  '                           "/root/.docker/cert.pem")',
  '      --tlskey string      Path to TLS key file (default',
  '                           "/root/.docker/key.pem")',
  '      --tlsverify          Use TLS and verify the remote',
  '  -v, --version            Print version information and quit',
].join('\n');
