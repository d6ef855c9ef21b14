import { describe, expect, it } from 'vitest';
import { mergeEnv, processEnv, buildShimSpec, DEFAULT_PATH } from '../../src/runtime/container-spec.js';
import { ZERO_TIME, containerRecordSchema, type ContainerRecord } from '../../src/container/record.js';

function record(over: Partial<ContainerRecord['Config']> = {}, host: Partial<ContainerRecord['HostConfig']> = {}): ContainerRecord {
  // Parsed, so the schema's defaults fill what this test does not care about.
  return containerRecordSchema.parse({
    Id: 'b'.repeat(64), Name: '/x', Created: '', Image: 'sha256:1', Path: 'sh', Args: ['-c', 'true'],
    Config: { Hostname: 'bbbbbbbbbbbb', User: '', Env: [], Cmd: null, Entrypoint: null, WorkingDir: '', Tty: false, OpenStdin: false, Labels: {}, Image: 'img', ...over },
    HostConfig: { Memory: 0, NanoCpus: 0, CpuShares: 0, PidsLimit: 0, NetworkMode: 'none', CgroupParent: '', CapAdd: [], CapDrop: [], Privileged: false, AutoRemove: false, ...host },
    State: { Status: 'created', Running: false, Pid: 0, ExitCode: 0, OOMKilled: false, Error: '', StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME },
    Runtime: { layers: [], shim: null, process: null, cgroup: null },
  });
}

const files = { dir: '/c', lowerDirs: ['/l'], socket: '/s', cgroup: { procs: [], tasks: [] }, etcBinds: [], exitCommand: [], capabilities: ['CAP_KILL'], network: { network: 'new' as const, ports: [], hosts: [], env: [] } };

describe('container environment', () => {
  it('merges env by key, later wins', () => {
    expect(mergeEnv(['A=1', 'B=2'], ['B=3', 'C=4'])).toEqual(['A=1', 'B=3', 'C=4']);
  });
  it("adds docker's PATH, HOSTNAME and TERM for a tty", () => {
    expect(processEnv(record())).toEqual([DEFAULT_PATH, 'HOSTNAME=bbbbbbbbbbbb']);
    expect(processEnv(record({ Env: ['PATH=/x'], Tty: true }))).toEqual(['HOSTNAME=bbbbbbbbbbbb', 'TERM=xterm', 'PATH=/x']);
  });
});

describe('buildShimSpec', () => {
  it('masks paths and sets no_new_privs unless privileged', () => {
    const plain = buildShimSpec(record(), files);
    expect(plain.maskedPaths).toContain('/proc/kcore');
    expect(plain.readonlyPaths).toContain('/proc/sys');
    expect(plain.noNewPrivileges).toBe(true);
    expect(plain.network).toBe('new');
    expect(plain.args).toEqual(['sh', '-c', 'true']);
    const priv = buildShimSpec(record({}, { Privileged: true, NetworkMode: 'host' }), { ...files, network: { ...files.network, network: 'host' } });
    expect(priv.maskedPaths).toEqual([]);
    expect(priv.sysfsReadWrite).toBe(true);
    expect(priv.network).toBe('host');
  });
  it("puts link variables first, so the container's own env wins", () => {
    const spec = buildShimSpec(record({ Env: ['DB_PORT=mine'] }), { ...files, network: { ...files.network, env: ['DB_PORT=tcp://10.0.0.2:80', 'DB_NAME=/a/db'] } });
    expect(spec.env).toContain('DB_PORT=mine');
    expect(spec.env).toContain('DB_NAME=/a/db');
    expect(spec.env).not.toContain('DB_PORT=tcp://10.0.0.2:80');
  });
});
