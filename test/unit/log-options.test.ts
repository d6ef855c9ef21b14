import { describe, expect, it } from 'vitest';
import { DEFAULT_LOG_MAX_FILES, DEFAULT_LOG_MAX_SIZE, logRotation } from '../../src/container/log-options.js';
import { encodeShimSpec, type ShimSpec } from '../../src/runtime/shim-spec.js';

const json = (Config: Record<string, string>) => ({ Type: 'json-file' as const, Config });

describe('logRotation (json-file --log-opt)', () => {
  it('rotates by default: 5 files of 20 MiB', () => {
    expect(logRotation(json({}))).toEqual({ maxSize: DEFAULT_LOG_MAX_SIZE, maxFiles: DEFAULT_LOG_MAX_FILES });
    expect(DEFAULT_LOG_MAX_SIZE).toBe(20 * 1024 * 1024);
  });
  it('reads max-size as docker reads sizes and max-file as a count', () => {
    expect(logRotation(json({ 'max-size': '10k', 'max-file': '3' }))).toEqual({ maxSize: 10240, maxFiles: 3 });
    expect(logRotation(json({ 'max-size': '1m' }))).toEqual({ maxSize: 1 << 20, maxFiles: DEFAULT_LOG_MAX_FILES });
    expect(logRotation(json({ 'max-file': '1' }))).toEqual({ maxSize: DEFAULT_LOG_MAX_SIZE, maxFiles: 1 });
  });
  it('refuses what docker refuses', () => {
    expect(() => logRotation(json({ colour: 'red' }))).toThrow("unknown log opt 'colour' for json-file log driver");
    expect(() => logRotation(json({ 'max-file': '0', 'max-size': '1m' }))).toThrow('max-file cannot be less than 1');
    expect(() => logRotation(json({ 'max-file': 'two', 'max-size': '1m' }))).toThrow('strconv.Atoi: parsing "two": invalid syntax');
    expect(() => logRotation(json({ 'max-size': 'big' }))).toThrow("invalid size: 'big'");
    expect(() => logRotation(json({ 'max-size': '0' }))).toThrow('max-size must be a positive number');
    expect(() => logRotation(json({ 'max-file': '3' }))).toThrow(/max-size/);
  });
  it('keeps nothing for the none driver', () => {
    expect(logRotation({ Type: 'none', Config: {} })).toBeUndefined();
  });
});

describe('shim spec log keys', () => {
  const base: ShimSpec = {
    id: 'a'.repeat(64), rootfs: '/r', lowerDirs: ['/l'], upperDir: '/u', workDir: '/w', readonlyRootfs: false, hostname: 'h',
    args: ['sh'], env: [], cwd: '/', user: '', capabilities: [], noNewPrivileges: true, network: 'new', maskedPaths: [],
    readonlyPaths: [], binds: [], sysfsReadWrite: false, cgroupProcs: [], cgroupTasks: [], tty: false, stdin: false,
    exitFile: '/e', socket: '/s', exitCommand: [],
  };
  const keys = (s: ShimSpec): string[] => encodeShimSpec(s).toString().split('\0').filter((r) => r.startsWith('log'));
  it('passes the rotation with the log file, and no log at all without one', () => {
    expect(keys({ ...base, logFile: '/c/x-json.log', logRotation: { maxSize: 2048, maxFiles: 3 } })).toEqual([
      'log=/c/x-json.log', 'log_max_size=2048', 'log_max_files=3',
    ]);
    expect(keys(base)).toEqual([]);
  });
});
