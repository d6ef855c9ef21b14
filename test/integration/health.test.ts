/**
 * HEALTHCHECK without a daemon: the container's supervisor runs the check in the container
 * and the engine shows State.Health on inspect.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { busyboxSuite, type TestRoot } from '../helpers/berth.js';
import { skipIntegration } from '../helpers/env.js';
import type { HealthState } from '../../src/container/record.js';

describe.skipIf(skipIntegration('health checks'))('health checks', () => {
  const suite = busyboxSuite();
  let t: TestRoot;
  let img: string;
  beforeAll(() => {
    ({ t, img } = suite());
  });

  /** Inspects through the CLI until the health state matches (the checks run on their own clock). */
  async function healthUntil(name: string, done: (h: HealthState) => boolean): Promise<HealthState> {
    for (;;) {
      const r = t.cli(['inspect', name]);
      expect(r.code, r.stderr).toBe(0);
      const health = (JSON.parse(r.stdout) as Array<{ State: { Health?: HealthState } }>)[0]!.State.Health;
      expect(health).toBeDefined();
      if (done(health!)) return health!;
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  it('turns healthy when the check passes, and unhealthy after Retries failures', async () => {
    const r = t.cli([
      'run', '-d', '--name', 'checked', '--health-cmd', 'test -f /ok && echo fine', '--health-interval', '200ms', '--health-retries', '2',
      img, 'sh', '-c', 'touch /ok; exec sleep 600',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const healthy = await healthUntil('checked', (h) => h.Status === 'healthy');
    expect(healthy.FailingStreak).toBe(0);
    expect(healthy.Log.at(-1)).toMatchObject({ ExitCode: 0, Output: 'fine\n' });
    expect(t.cli(['exec', 'checked', 'rm', '/ok']).code).toBe(0);
    const sick = await healthUntil('checked', (h) => h.Status === 'unhealthy');
    expect(sick.FailingStreak).toBeGreaterThanOrEqual(2);
    expect(sick.Log.length).toBeLessThanOrEqual(5);
    expect(sick.Log.at(-1)!.ExitCode).toBe(1);
    // ps shows it, and filters by it, as docker's does.
    expect(t.cli(['ps', '--format', '{{.Status}}', '-f', 'name=checked']).stdout).toMatch(/^Up .* \(unhealthy\)\n$/);
    expect(t.cli(['ps', '-q', '-f', 'health=unhealthy']).stdout.trim()).toBe(t.cli(['ps', '-q', '-f', 'name=checked']).stdout.trim());
    expect(t.cli(['inspect', '-f', '{{.State.Health.Status}}', 'checked']).stdout).toBe('unhealthy\n');
    expect(Date.parse(sick.Log.at(-1)!.End)).toBeGreaterThanOrEqual(Date.parse(sick.Log.at(-1)!.Start));
    expect(t.cli(['rm', '-f', 'checked']).code).toBe(0);
  });

  it('kills a check at its timeout, and shows no health without a check', async () => {
    const r = t.cli([
      'run', '-d', '--name', 'slow', '--health-cmd', 'sleep 30', '--health-interval', '100ms', '--health-timeout', '300ms', '--health-retries', '1',
      img, 'sleep', '600',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const h = await healthUntil('slow', (x) => x.Status === 'unhealthy');
    expect(h.Log.at(-1)).toMatchObject({ ExitCode: -1, Output: 'Health check exceeded timeout (300ms)' });
    // The killed checks do not pile up in the container.
    const ps = t.cli(['exec', 'slow', 'ps']).stdout;
    expect(ps.split('\n').filter((l) => /sleep 30$/.test(l)).length).toBeLessThanOrEqual(1);
    expect(t.cli(['rm', '-f', 'slow']).code).toBe(0);
    const plain = await t.engine.run({ image: img, cmd: ['true'], autoRemove: false });
    await plain.wait();
    expect((await t.engine.inspect(plain.id)).State.Health).toBeUndefined();
  });
});
