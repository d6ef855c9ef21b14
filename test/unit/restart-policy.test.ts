import { describe, expect, it } from 'vitest';
import { nextRestartDelay, shouldRestart, startsAtBoot } from '../../src/container/restart-policy.js';
import { ZERO_TIME, containerRecordSchema, type ContainerRecord, type RestartPolicy } from '../../src/container/record.js';

function record(policy: RestartPolicy['Name'], opts: { max?: number; count?: number; stoppedByUser?: boolean; autoRemove?: boolean } = {}): ContainerRecord {
  return containerRecordSchema.parse({
    Id: 'c'.repeat(64), Name: '/x', Created: '', Image: 'sha256:1', Path: 'sh', Args: [],
    Config: { Hostname: 'h', User: '', Env: [], Cmd: null, Entrypoint: null, WorkingDir: '', Tty: false, OpenStdin: false, Labels: {}, Image: 'img' },
    HostConfig: {
      Memory: 0, NanoCpus: 0, CpuShares: 0, PidsLimit: 0, NetworkMode: 'none', CgroupParent: '', CapAdd: [], CapDrop: [], Privileged: false,
      AutoRemove: opts.autoRemove ?? false, RestartPolicy: { Name: policy, MaximumRetryCount: opts.max ?? 0 },
    },
    State: { Status: 'exited', Running: false, Pid: 0, ExitCode: 0, OOMKilled: false, Error: '', StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME },
    RestartCount: opts.count ?? 0,
    Runtime: { layers: [], shim: null, process: null, cgroup: null, stoppedByUser: opts.stoppedByUser ?? false },
  });
}

describe('restart policies', () => {
  it('restarts as docker does', () => {
    expect(shouldRestart(record('no'), 1)).toBe(false);
    expect(shouldRestart(record('always'), 0)).toBe(true);
    expect(shouldRestart(record('unless-stopped'), 0)).toBe(true);
    expect(shouldRestart(record('on-failure'), 0)).toBe(false);
    expect(shouldRestart(record('on-failure'), 1)).toBe(true);
    expect(shouldRestart(record('on-failure', { max: 2, count: 1 }), 1)).toBe(true);
    expect(shouldRestart(record('on-failure', { max: 2, count: 2 }), 1)).toBe(false);
  });

  it('never restarts a container stopped by hand or removed on exit', () => {
    expect(shouldRestart(record('always', { stoppedByUser: true }), 1)).toBe(false);
    expect(shouldRestart(record('always', { autoRemove: true }), 1)).toBe(false);
  });

  it('backs off from 100 ms, doubling to a minute, and starts over after 10 s of running', () => {
    expect(nextRestartDelay(0, 50)).toBe(100);
    expect(nextRestartDelay(100, 50)).toBe(200);
    expect(nextRestartDelay(40_000, 50)).toBe(60_000);
    expect(nextRestartDelay(60_000, 50)).toBe(60_000);
    expect(nextRestartDelay(60_000, 10_000)).toBe(100);
  });

  it('boots always, and unless-stopped unless stopped by hand', () => {
    expect(startsAtBoot(record('always', { stoppedByUser: true }))).toBe(true);
    expect(startsAtBoot(record('unless-stopped'))).toBe(true);
    expect(startsAtBoot(record('unless-stopped', { stoppedByUser: true }))).toBe(false);
    expect(startsAtBoot(record('on-failure'))).toBe(false);
  });
});
