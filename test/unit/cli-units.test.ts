import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import { parseBytes, parseCpus, parseEnvArg, parseEnvFile, parseDuration, parseRestartPolicy } from '../../src/cli/units.js';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

describe('parseBytes (go-units RAMInBytes)', () => {
  it.each([
    ['0', 0],
    ['100', 100],
    ['100b', 100],
    ['100B', 100],
    ['1k', 1024],
    ['1K', 1024],
    ['1kb', 1024],
    ['1KiB', 1024],
    ['512m', 512 * MiB],
    ['512M', 512 * MiB],
    ['512mb', 512 * MiB],
    ['512MiB', 512 * MiB],
    ['1g', GiB],
    ['1GiB', GiB],
    ['1gB', GiB],
    ['1.5g', 1.5 * GiB],
    ['0.5k', 512],
    ['1.3k', 1331],
    ['2t', 2 * 1024 ** 4],
    ['1p', 1024 ** 5],
    ['10 m', 10 * MiB],
    ['6mi', 6 * MiB],
  ])('%s is %d bytes', (input, bytes) => {
    expect(parseBytes(input)).toBe(bytes);
  });

  it.each(['12x', '', 'm', '-1', '-1m', '1e3', '1mm', '1  m', ' 1m', '1m ', '.5m', '5.m', '1mbb', '0x10'])('refuses %j', (input) => {
    expect(() => parseBytes(input)).toThrow(`invalid size: '${input}'`);
  });

  it("reports go-units' ParseFloat error for repeated decimals", () => {
    expect(() => parseBytes('1.2.3')).toThrow('strconv.ParseFloat: parsing "1.2.3": invalid syntax');
  });

  it('throws InvalidArgumentError', () => {
    expect(() => parseBytes('12x')).toThrow(InvalidArgumentError);
  });
});

describe('parseCpus (docker opts.ParseCPUs)', () => {
  it.each([
    ['1', 1e9],
    ['1.5', 1.5e9],
    ['0.5', 5e8],
    ['.5', 5e8],
    ['2.', 2e9],
    ['0', 0],
    ['0.000000001', 1],
    ['1.000000000', 1e9],
    ['3/2', 1.5e9],
    ['1/4', 2.5e8],
    ['1e1', 1e10],
    ['15e-1', 1.5e9],
    ['+2', 2e9],
    ['-0', 0],
    ['0e999999999', 0],
  ])('%s is %d nano CPUs', (input, nano) => {
    expect(parseCpus(input)).toBe(nano);
  });

  it.each(['abc', 'NaN', '', '1/0', '1.5/2', '1,5', ' 1', 'Inf', '0x10', '1e'])('refuses %j as not a rational number', (input) => {
    expect(() => parseCpus(input)).toThrow(`failed to parse ${input} as a rational number`);
  });

  it('refuses more precision than a nano CPU', () => {
    expect(() => parseCpus('1.0000000001')).toThrow('value is too precise');
    expect(() => parseCpus('1/3')).toThrow('value is too precise');
    expect(() => parseCpus('1e-999999999')).toThrow('value is too precise');
  });

  it('refuses negative counts', () => {
    expect(() => parseCpus('-1')).toThrow('the number of CPUs must not be negative');
    expect(() => parseCpus('-0.5')).toThrow('must not be negative');
    expect(() => parseCpus('-1/2')).toThrow('must not be negative');
  });

  it('refuses counts beyond an exact integer of nano CPUs', () => {
    expect(() => parseCpus('1e999999999')).toThrow('value out of range');
    expect(() => parseCpus('99999999999')).toThrow('value out of range');
  });
});

describe('parseEnvArg (docker opts.ValidateEnv)', () => {
  const host = { HOME: '/root', EMPTY: '' };

  it('keeps K=V as given', () => {
    expect(parseEnvArg('A=1', host)).toBe('A=1');
    expect(parseEnvArg('A=', host)).toBe('A=');
    expect(parseEnvArg('A=b=c', host)).toBe('A=b=c');
    expect(parseEnvArg('HOME=/x', host)).toBe('HOME=/x');
  });

  it("gives a bare K the host's value, or drops it", () => {
    expect(parseEnvArg('HOME', host)).toBe('HOME=/root');
    expect(parseEnvArg('EMPTY', host)).toBe('EMPTY=');
    expect(parseEnvArg('UNSET', host)).toBeUndefined();
  });

  it('refuses an empty name', () => {
    expect(() => parseEnvArg('=V', host)).toThrow('invalid environment variable: =V');
    expect(() => parseEnvArg('', host)).toThrow('invalid environment variable: ');
  });
});

describe('parseEnvFile (docker opts.ParseEnvFile)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-envfile-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const file = (content: string | Buffer): string => {
    const path = join(dir, `env${n++}`);
    writeFileSync(path, content);
    return path;
  };
  const host = { HOME: '/root', EMPTY: '' };

  it('reads K=V lines verbatim and skips comments and blank lines', () => {
    const path = file(['# a comment', '', 'A=1', '   ', 'B=two words ', '  C=indented', '\tD=tab', 'E=', 'F=x=y', '  # indented comment', 'G="quoted"'].join('\n'));
    expect(parseEnvFile(path, host)).toEqual(['A=1', 'B=two words ', 'C=indented', 'D=tab', 'E=', 'F=x=y', 'G="quoted"']);
  });

  it("gives a bare K the host's value, or drops it", () => {
    expect(parseEnvFile(file('HOME\nUNSET\nEMPTY\n'), host)).toEqual(['HOME=/root', 'EMPTY=']);
  });

  it('handles CRLF lines, a BOM and a missing final newline', () => {
    expect(parseEnvFile(file('\ufeffA=1\r\nB=2'), host)).toEqual(['A=1', 'B=2']);
  });

  it('refuses whitespace in a name, as docker', () => {
    expect(() => parseEnvFile(file('A=1\na b=2\n'), host)).toThrow("poorly formatted environment: variable 'a b' contains whitespaces");
    expect(() => parseEnvFile(file('A =1\n'), host)).toThrow("variable 'A ' contains whitespaces");
    expect(() => parseEnvFile(file('HOME \n'), host)).toThrow("variable 'HOME ' contains whitespaces");
  });

  it('refuses a line without a name', () => {
    expect(() => parseEnvFile(file('=x\n'), host)).toThrow("poorly formatted environment: no variable name on line '=x'");
  });

  it('refuses bytes that are not UTF-8', () => {
    const path = file(Buffer.from([0x41, 0x3d, 0x31, 0x0a, 0x42, 0x3d, 0xff, 0x0a]));
    expect(() => parseEnvFile(path, host)).toThrow(`env file ${path} contains invalid utf8 bytes at line 2: [66 61 255]`);
  });

  it('reports an unreadable file as Go does', () => {
    expect(() => parseEnvFile(join(dir, 'missing'), host)).toThrow(`open ${join(dir, 'missing')}: no such file or directory`);
    expect(() => parseEnvFile(dir, host)).toThrow(`read ${dir}: is a directory`);
    expect(() => parseEnvFile(join(dir, 'missing'), host)).toThrow(InvalidArgumentError);
  });
});

describe('parseDuration', () => {
  it('reads Go durations in nanoseconds', () => {
    expect(parseDuration('30s')).toBe(30e9);
    expect(parseDuration('1m30s')).toBe(90e9);
    expect(parseDuration('1.5h')).toBe(5400e9);
    expect(parseDuration('500ms')).toBe(500e6);
    expect(parseDuration('0')).toBe(0);
  });
  it('refuses what Go refuses', () => {
    expect(() => parseDuration('10')).toThrow('time: invalid duration "10"');
    expect(() => parseDuration('')).toThrow('invalid duration');
    expect(() => parseDuration('1x')).toThrow('invalid duration');
  });
});

describe('parseRestartPolicy', () => {
  it('reads the four policies', () => {
    expect(parseRestartPolicy('no')).toEqual({ Name: 'no', MaximumRetryCount: 0 });
    expect(parseRestartPolicy('always')).toEqual({ Name: 'always', MaximumRetryCount: 0 });
    expect(parseRestartPolicy('unless-stopped')).toEqual({ Name: 'unless-stopped', MaximumRetryCount: 0 });
    expect(parseRestartPolicy('on-failure:3')).toEqual({ Name: 'on-failure', MaximumRetryCount: 3 });
  });
  it('refuses a count where docker does, and unknown names', () => {
    expect(() => parseRestartPolicy('always:2')).toThrow("maximum retry count cannot be used with restart policy 'always'");
    expect(() => parseRestartPolicy('sometimes')).toThrow("unknown policy 'sometimes'");
    expect(() => parseRestartPolicy('on-failure:x')).toThrow('must be an integer');
  });
});
