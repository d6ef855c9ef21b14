import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { exactCheck } from '../../src/util/exact-check.js';
import { containerRecordSchema } from '../../src/container/record.js';

const schema = z.object({
  id: z.string().regex(/^[0-9a-f]{4}$/),
  n: z.number().int().nonnegative(),
  tags: z.array(z.string()),
  labels: z.record(z.string()),
  kind: z.enum(['a', 'b']),
  parent: z.string().nullable(),
  note: z.string().optional(),
  size: z.tuple([z.number(), z.number()]).optional(),
  flag: z.boolean().default(false),
  extra: z.unknown().nullable(),
});

const good = { id: 'ab12', n: 3, tags: ['x'], labels: { k: 'v' }, kind: 'a', parent: null, size: [1, 2], flag: true, extra: { any: 1 } };

describe('exactCheck', () => {
  const check = exactCheck(schema);

  it('says yes only where zod would return the value unchanged', () => {
    const variants: unknown[] = [
      good,
      { ...good, note: 'n' },
      { ...good, id: 'xyz1' },
      { ...good, n: -1 },
      { ...good, n: 1.5 },
      { ...good, tags: [1] },
      { ...good, labels: { k: 1 } },
      { ...good, kind: 'c' },
      { ...good, parent: undefined },
      { ...good, size: [1] },
      { ...good, unknownKey: 1 },
      (({ flag: _flag, ...rest }) => rest)(good),
      null,
      [],
    ];
    for (const v of variants) {
      const parsed = schema.safeParse(v);
      if (check(v)) {
        expect(parsed.success).toBe(true);
        expect(parsed.data).toEqual(v);
      }
    }
    expect(variants.map((v) => check(v))).toEqual([true, true, false, false, false, false, false, false, false, false, false, false, false, false]);
  });

  it('falls back for kinds it does not know', () => {
    expect(exactCheck(z.string().transform((s) => s.length))('x')).toBe(false);
    expect(exactCheck(z.union([z.string(), z.number()]))('x')).toBe(false);
    expect(exactCheck(z.object({ a: z.string() }).passthrough())({ a: 'x' })).toBe(false);
  });

  it('accepts a complete container record and refuses one that needs defaults', () => {
    const rec = containerRecordSchema.parse({
      Id: 'a'.repeat(64), Name: '/x', Created: '2026-01-01T00:00:00Z', Image: 'sha256:1', Path: 'sh', Args: [],
      Config: { Hostname: 'h', User: '', Env: [], Cmd: null, Entrypoint: null, WorkingDir: '', Tty: false, OpenStdin: false, Labels: {}, Image: 'i' },
      HostConfig: { Memory: 0, NanoCpus: 0, CpuShares: 0, PidsLimit: 0, NetworkMode: 'none', CgroupParent: '', CapAdd: [], CapDrop: [], Privileged: false, AutoRemove: false },
      State: { Status: 'created', Running: false, Pid: 0, ExitCode: 0, OOMKilled: false, Error: '', StartedAt: 'z', FinishedAt: 'z' },
      Runtime: { layers: [], shim: null, process: null, cgroup: null },
    });
    const isRecord = exactCheck(containerRecordSchema);
    const written: unknown = JSON.parse(JSON.stringify(rec));
    expect(isRecord(written)).toBe(true);
    const old = JSON.parse(JSON.stringify(rec)) as { State: Record<string, unknown> };
    delete old.State['Paused'];
    expect(isRecord(old)).toBe(false);
    expect(containerRecordSchema.parse(old).State.Paused).toBe(false);
  });
});
