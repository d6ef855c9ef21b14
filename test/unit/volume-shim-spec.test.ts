import { describe, expect, it } from 'vitest';
import { buildShimSpec } from '../../src/runtime/container-spec.js';
import { encodeShimSpec } from '../../src/runtime/shim-spec.js';
import { ZERO_TIME, containerRecordSchema, type ContainerRecord } from '../../src/container/record.js';

function record(extra: Record<string, unknown>, host: Record<string, unknown> = {}): ContainerRecord {
  return containerRecordSchema.parse({
    Id: 'c'.repeat(64), Name: '/x', Created: '', Image: 'sha256:1', Path: 'sh', Args: [],
    Config: { Hostname: 'h', User: '', Env: [], Cmd: null, Entrypoint: null, WorkingDir: '', Tty: false, OpenStdin: false, Labels: {}, Image: 'img' },
    HostConfig: { Memory: 0, NanoCpus: 0, CpuShares: 0, PidsLimit: 0, NetworkMode: 'none', CgroupParent: '', CapAdd: [], CapDrop: [], Privileged: false, AutoRemove: false, ...host },
    State: { Status: 'created', Running: false, Pid: 0, ExitCode: 0, OOMKilled: false, Error: '', StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME },
    Runtime: { layers: [], shim: null, process: null, cgroup: null },
    ...extra,
  });
}

const files = { dir: '/c', lowerDirs: ['/l'], socket: '/s', cgroup: { procs: [], tasks: [] }, etcBinds: [], exitCommand: [], capabilities: [], network: { network: 'new' as const, ports: [], hosts: [], env: [] } };

describe('mounts in the shim spec', () => {
  it('reads a record written before volumes existed as one with none', () => {
    const rec = record({});
    expect(rec.Mounts).toEqual([]);
    expect(rec.HostConfig).toMatchObject({ Binds: null, Mounts: [], Tmpfs: {}, ReadonlyRootfs: false, VolumesFrom: null });
    const spec = buildShimSpec(rec, files);
    expect(spec.binds).toEqual([]);
    expect(spec.tmpfs).toEqual([]);
    expect(spec.readonlyRootfs).toBe(false);
  });

  it('binds volumes parents first, adds tmpfs with their flags and makes the root read-only', () => {
    const rec = record(
      {
        Mounts: [
          { Type: 'bind', Source: '/host/deep', Destination: '/a/b', Mode: 'ro', RW: false, Propagation: 'rprivate' },
          { Type: 'volume', Name: 'v', Source: '/root/volumes/v/_data', Destination: '/a', Driver: 'local', Mode: '', RW: true, Propagation: '' },
          { Type: 'tmpfs', Source: '', Destination: '/m', Mode: '', RW: false, Propagation: '', Options: 'size=1024' },
        ],
      },
      { Tmpfs: { '/run': 'size=64m,exec' }, ReadonlyRootfs: true },
    );
    const spec = buildShimSpec(rec, files);
    expect(spec.binds).toEqual([
      { source: '/root/volumes/v/_data', destination: '/a', readonly: false },
      { source: '/host/deep', destination: '/a/b', readonly: true },
    ]);
    // MS_NOSUID|MS_NODEV|MS_NOEXEC = 14, and MS_RDONLY for the read-only one; exec clears MS_NOEXEC.
    expect(spec.tmpfs).toEqual([
      { destination: '/m', flags: 15, data: 'size=1024' },
      { destination: '/run', flags: 6, data: 'size=64m' },
    ]);
    expect(spec.readonlyRootfs).toBe(true);
    const encoded = encodeShimSpec(spec).toString('utf8');
    expect(encoded).toContain('\0tmpfs=/run\t6\tsize=64m\0');
    expect(encoded).toContain('\0bind=/host/deep\t/a/b\tro\0');
    expect(encoded).toContain('\0readonly_rootfs=1\0');
  });
});
