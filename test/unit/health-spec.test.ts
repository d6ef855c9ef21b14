import { describe, expect, it } from 'vitest';
import { healthArgv, shimHealthCheck } from '../../src/container/health.js';
import { encodeShimSpec, type ShimSpec } from '../../src/runtime/shim-spec.js';

describe('health check spec', () => {
  it("turns docker's Test forms into argv", () => {
    expect(healthArgv(['CMD', 'test', '-f', '/ok'])).toEqual(['test', '-f', '/ok']);
    expect(healthArgv(['CMD-SHELL', 'curl -f localhost || exit 1'])).toEqual(['/bin/sh', '-c', 'curl -f localhost || exit 1']);
    expect(healthArgv(['NONE'])).toBeUndefined();
    expect(healthArgv([])).toBeUndefined();
  });

  it("fills docker's defaults for fields left 0 and converts ns to ms", () => {
    expect(shimHealthCheck({ Test: ['CMD', 'true'], Interval: 0, Timeout: 0, StartPeriod: 0, Retries: 0 }, '/c')).toEqual({
      cmd: ['true'], intervalMs: 30_000, timeoutMs: 30_000, startPeriodMs: 0, retries: 3, file: '/c/health.json',
    });
    expect(shimHealthCheck({ Test: ['CMD', 'true'], Interval: 200e6, Timeout: 1e9, StartPeriod: 5e9, Retries: 2 }, '/c')).toMatchObject({
      intervalMs: 200, timeoutMs: 1000, startPeriodMs: 5000, retries: 2,
    });
    expect(shimHealthCheck(undefined, '/c')).toBeUndefined();
  });

  it('writes the health keys into the shim spec', () => {
    const spec = {
      id: 'a'.repeat(64), rootfs: '/r', lowerDirs: ['/l'], upperDir: '/u', workDir: '/w', readonlyRootfs: false, hostname: 'h',
      args: ['sh'], env: [], cwd: '/', user: '', capabilities: [], noNewPrivileges: true, network: 'new', maskedPaths: [],
      readonlyPaths: [], binds: [], sysfsReadWrite: false, cgroupProcs: [], cgroupTasks: [], tty: false, stdin: false,
      logFile: '/log', exitFile: '/exit', socket: '/s', exitCommand: [],
      health: { cmd: ['test', '-f', '/ok'], intervalMs: 200, timeoutMs: 1000, startPeriodMs: 0, retries: 2, file: '/c/health.json' },
    } satisfies ShimSpec;
    const recs = encodeShimSpec(spec).toString('utf8').split('\0');
    expect(recs).toEqual(expect.arrayContaining([
      'health_cmd=test', 'health_cmd=-f', 'health_cmd=/ok', 'health_interval_ms=200', 'health_timeout_ms=1000',
      'health_start_period_ms=0', 'health_retries=2', 'health_file=/c/health.json',
    ]));
  });
});
