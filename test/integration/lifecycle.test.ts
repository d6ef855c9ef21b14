/**
 * The container lifecycle through the CLI binary with real containers: run -d, stop (timeout
 * and stop signal), restart, kill, pause/unpause, rename, update, prune, top, stats, restart
 * policies and system boot, and repair after a kill -9 of the CLI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { busyboxTar, cliPath, importBusybox, makeTestRoot, type TestRoot } from '../helpers/berth.js';
import { hasScript, underTerminal } from '../helpers/terminal.js';
import { skipIntegration } from '../helpers/env.js';
import { isAlive } from '../../src/runtime/process-identity.js';
import { vethName } from '../../src/network/container-network.js';
import { shimsOf } from '../../src/runtime/supervisor.js';
import type { ContainerRecord } from '../../src/container/record.js';

function cgroupFile(handle: unknown, controller: string, file: string): string {
  const h = handle as { dir?: string; dirs?: Record<string, string> };
  const dir = h.dir ?? Object.entries(h.dirs ?? {}).find(([k]) => k.split(',').includes(controller))?.[1];
  if (!dir) throw new Error(`no ${controller} cgroup in ${JSON.stringify(handle)}`);
  return readFileSync(path.join(dir, file), 'utf8').trim();
}

/** Polls until check returns a value (not undefined), or fails after timeoutMs. */
async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe.skipIf(skipIntegration('container lifecycle'))('container lifecycle', () => {
  let t: TestRoot;
  const img = 'busybox:test';

  beforeAll(async () => {
    t = makeTestRoot();
    importBusybox(t);
    // An image whose STOPSIGNAL is USR1, as a Dockerfile's STOPSIGNAL gives.
    const r = t.cli(['import', '--change', 'CMD ["sh"]', '--change', 'STOPSIGNAL SIGUSR1', busyboxTar(t.root), 'busybox:usr1']);
    expect(r.stderr).toBe('');
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const inspect = (ref: string): Promise<ContainerRecord> => t.engine.inspect(ref);
  const upperFile = (rec: ContainerRecord, file: string): string => path.join(t.root, 'containers', rec.Id, 'upper', file);
  const runD = (args: string[]): string => {
    const r = t.cli(['run', '-d', ...args]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return r.stdout.trim();
  };

  it('run -d prints the id and the container outlives the CLI', async () => {
    const id = runD(['--name', 'detached', img, 'sleep', '1000']);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const rec = await inspect('detached');
    expect(rec.State.Status).toBe('running');
    expect(isAlive(rec.Runtime.process!)).toBe(true);
    expect(t.cli(['ps']).stdout).toMatch(/Up .* detached/);
  });

  it('stop sends SIGTERM, then SIGKILL once the timeout has passed', async () => {
    runD(['--name', 'stubborn', img, 'sh', '-c', 'trap "touch /tmp/got-term" TERM; while true; do sleep 0.1; done']);
    await sleep(300);
    const r = t.cli(['stop', '-t', '1', 'stubborn']);
    expect(r).toMatchObject({ code: 0, stdout: 'stubborn\n' });
    const rec = await inspect('stubborn');
    expect(rec.State).toMatchObject({ Status: 'exited', Running: false, ExitCode: 137 });
    // TERM came first and was handled; the container ignored it, so KILL ended it.
    expect(existsSync(upperFile(rec, 'tmp/got-term'))).toBe(true);
  });

  it("stop uses the image's STOPSIGNAL, and --stop-signal overrides it", async () => {
    runD(['--name', 'usr1', 'busybox:usr1', 'sh', '-c', 'trap "exit 42" USR1; trap "exit 43" TERM; while true; do sleep 0.1; done']);
    runD(['--name', 'usr2', '--stop-signal', 'USR2', 'busybox:usr1', 'sh', '-c', 'trap "exit 44" USR2; trap "exit 43" USR1; while true; do sleep 0.1; done']);
    await sleep(300);
    expect(t.cli(['stop', 'usr1', 'usr2']).stdout).toBe('usr1\nusr2\n');
    expect((await inspect('usr1')).State.ExitCode).toBe(42);
    expect((await inspect('usr2')).State.ExitCode).toBe(44);
    expect((await inspect('usr1')).Config.StopSignal).toBe('SIGUSR1');
    // A negative timeout sends the signal and waits as long as it takes.
    runD(['--name', 'patient', img, 'sh', '-c', 'trap "exit 45" TERM; while true; do sleep 0.1; done']);
    await sleep(300);
    expect(t.cli(['stop', '-t', '-1', 'patient'], { timeout: 20_000 }).code).toBe(0);
    expect((await inspect('patient')).State.ExitCode).toBe(45);
  });

  it('stop of a stopped container succeeds; restart starts it again with a new process', async () => {
    expect(t.cli(['stop', 'stubborn']).code).toBe(0);
    runD(['--name', 'again', img, 'sleep', '1000']);
    const before = await inspect('again');
    const r = t.cli(['restart', '-t', '0', 'again']);
    expect(r).toMatchObject({ code: 0, stdout: 'again\n' });
    const after = await inspect('again');
    expect(after.State.Running).toBe(true);
    expect(after.State.Pid).not.toBe(before.State.Pid);
    expect(after.State.StartedAt).not.toBe(before.State.StartedAt);
    expect(isAlive(before.Runtime.process!)).toBe(false);
  });

  it('kill -s delivers the signal and leaves a container that handles it running', async () => {
    runD(['--name', 'hup', img, 'sh', '-c', 'trap "touch /tmp/got-hup" HUP; while true; do sleep 0.1; done']);
    await sleep(300);
    expect(t.cli(['kill', '-s', 'HUP', 'hup'])).toMatchObject({ code: 0, stdout: 'hup\n' });
    const rec = await inspect('hup');
    await eventually('the HUP trap', () => (existsSync(upperFile(rec, 'tmp/got-hup')) ? true : undefined));
    expect((await inspect('hup')).State.Running).toBe(true);
    expect(t.cli(['kill', '-s', 'NOSUCH', 'hup']).stderr).toMatch(/Invalid signal: NOSUCH/);
  });

  it('pause freezes every process and unpause lets them go on', async () => {
    runD(['--name', 'counter', img, 'sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i > /tmp/n; sleep 0.05; done']);
    await sleep(300);
    expect(t.cli(['pause', 'counter'])).toMatchObject({ code: 0, stdout: 'counter\n' });
    const rec = await inspect('counter');
    expect(rec.State).toMatchObject({ Status: 'paused', Paused: true, Running: true });
    expect(cgroupFile(rec.Runtime.cgroup, 'freezer', 'freezer.state')).toBe('FROZEN');
    const counter = (): string => readFileSync(`/proc/${rec.State.Pid}/root/tmp/n`, 'utf8');
    const frozenAt = counter();
    await sleep(400);
    expect(counter()).toBe(frozenAt);
    expect(t.cli(['pause', 'counter']).stderr).toMatch(/is already paused/);
    // Nothing joins a frozen container, and no one attaches to it.
    const exec = t.cli(['exec', 'counter', 'true']);
    expect(exec.code).toBe(1);
    expect(exec.stderr).toMatch(/is paused, unpause the container before exec/);
    expect(t.cli(['attach', 'counter']).stderr).toMatch(/You cannot attach to a paused container, unpause it first/);
    expect(t.cli(['ps', '--format', '{{.Status}}', '-f', 'name=counter']).stdout).toMatch(/^Up .* \(Paused\)\n$/);
    expect(t.cli(['unpause', 'counter'])).toMatchObject({ code: 0, stdout: 'counter\n' });
    await eventually('the counter to move', () => (counter() !== frozenAt ? true : undefined));
    expect((await inspect('counter')).State).toMatchObject({ Status: 'running', Paused: false });
    expect(t.cli(['unpause', 'counter']).stderr).toMatch(/is not paused/);
    // A paused container can still be force-removed: its processes are thawed to die.
    expect(t.cli(['pause', 'counter']).code).toBe(0);
    expect(t.cli(['rm', '-f', 'counter']).code).toBe(0);
    expect(isAlive(rec.Runtime.process!)).toBe(false);
  });

  it('rename changes the name, refuses a taken one, and the old name is gone', async () => {
    expect(t.cli(['rename', 'again', 'renamed'])).toMatchObject({ code: 0, stdout: '' });
    expect((await inspect('renamed')).Name).toBe('/renamed');
    expect(t.cli(['inspect', 'again']).stderr).toMatch(/No such object: again/);
    const taken = t.cli(['rename', 'renamed', 'detached']);
    expect(taken.code).not.toBe(0);
    expect(taken.stderr).toMatch(/The container name "\/detached" is already in use/);
    expect(t.cli(['rename', 'renamed', 'bad name']).stderr).toMatch(/Invalid container name/);
  });

  it("update writes new limits into the running container's cgroup and the record", async () => {
    const r = t.cli(['update', '--memory', '64m', '--pids-limit', '50', '--restart', 'on-failure:3', 'renamed']);
    expect(r).toMatchObject({ code: 0, stdout: 'renamed\n' });
    const rec = await inspect('renamed');
    expect(rec.HostConfig).toMatchObject({ Memory: 64 * 1024 * 1024, PidsLimit: 50, RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 } });
    expect(cgroupFile(rec.Runtime.cgroup, 'memory', 'memory.limit_in_bytes')).toBe(String(64 * 1024 * 1024));
    expect(cgroupFile(rec.Runtime.cgroup, 'pids', 'pids.max')).toBe('50');
    expect(t.cli(['update', '--pids-limit', '-1', 'renamed']).code).toBe(0);
    expect(cgroupFile(rec.Runtime.cgroup, 'pids', 'pids.max')).toBe('max');
    expect(t.cli(['update', 'renamed']).stderr).toMatch(/you must provide one or more flags/);
  });

  it('top lists the processes of the container and only those', async () => {
    const r = t.cli(['top', 'detached']);
    expect(r.code).toBe(0);
    const [header, ...rows] = r.stdout.trim().split('\n');
    expect(header).toMatch(/PID/);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/sleep 1000/);
    expect(t.cli(['top', 'detached', '-o', 'pid,comm']).stdout).toMatch(/PID\s+COMMAND\n\s*\d+\s+sleep/);
    expect(t.cli(['top', 'stubborn']).stderr).toMatch(/is not running/);
  });

  it('stats --no-stream shows CPU, memory and pids of a container', () => {
    const r = t.cli(['stats', '--no-stream', 'detached']);
    expect(r.code).toBe(0);
    const [header, row] = r.stdout.trim().split('\n');
    expect(header).toMatch(/^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/);
    expect(row).toMatch(/detached\s+\d+\.\d\d%\s+[\d.]+[KMG]?i?B \/ [\d.]+[KMG]iB\s+\d+\.\d\d%\s+[\d.]+k?B \/ [\d.]+k?B\s+.+\s1$/);
    const fmt = t.cli(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'detached']);
    expect(fmt.stdout).toBe('detached 1\n');
  });

  /** Runs the CLI with stdin fed in steps; resolves with its exit code and output. */
  const feed = (args: string[], steps: Array<{ afterMs: number; data: string }>): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const child = t.spawnCli(args);
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      for (const s of steps) setTimeout(() => child.stdin!.write(s.data), s.afterMs);
      child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });

  it.skipIf(!hasScript)('attach connects stdin and output; on a terminal the detach keys leave the container running', async () => {
    runD(['-it', '--name', 'shell', img, 'sh']);
    const base = `${process.execPath} ${cliPath} --root ${t.root} --run-root ${t.runRoot}`;
    const r = await underTerminal(`${base} attach shell`, [
      { afterMs: 1500, data: 'echo hello-from-attach\r' },
      { afterMs: 2500, data: '\x10\x11' },
    ]);
    expect(r.output).toContain('hello-from-attach');
    expect(r.code).toBe(0);
    expect((await inspect('shell')).State.Running).toBe(true);
    // Own keys; a started sequence that breaks off reaches the container unchanged.
    const own = await underTerminal(`${base} attach --detach-keys ctrl-a,x shell`, [
      { afterMs: 1500, data: 'echo a\x01b | wc -c\r' },
      { afterMs: 2500, data: '\x01x' },
    ]);
    expect(own.output).toMatch(/\b4\b/);
    expect(own.code).toBe(0);
    expect((await inspect('shell')).State.Running).toBe(true);
  });

  it('attach without a terminal pipes stdin and ends with the exit code of the container', async () => {
    runD(['-i', '--name', 'piped', img, 'sh']);
    // Not a terminal: the detach keys are ordinary input, as with docker.
    const r = await feed(['attach', 'piped'], [{ afterMs: 300, data: 'echo "x\x10\x11y" | wc -c; exit 7\n' }]);
    expect(r.stdout.trim()).toBe('5');
    expect(r.code).toBe(7);
    expect(t.cli(['attach', 'piped']).stderr).toMatch(/You cannot attach to a stopped container, start it first/);
  });

  it('restarts an on-failure container up to its retry count', async () => {
    runD(['--name', 'flaky', '--restart', 'on-failure:2', img, 'sh', '-c', 'echo run >> /tmp/runs; exit 3']);
    const rec = await eventually('two restarts', async () => {
      const r = await inspect('flaky');
      return r.RestartCount === 2 && r.State.Status === 'exited' ? r : undefined;
    });
    expect(rec.State.ExitCode).toBe(3);
    // Restarts keep the container's filesystem: three runs, one file.
    expect(readFileSync(upperFile(rec, 'tmp/runs'), 'utf8')).toBe('run\nrun\nrun\n');
    await sleep(1000);
    expect((await inspect('flaky')).RestartCount).toBe(2);
  });

  it('an always container keeps coming back until it is stopped', async () => {
    runD(['--name', 'phoenix', '--restart', 'always', img, 'sh', '-c', 'sleep 0.2; exit 0']);
    await eventually('a restart', async () => ((await inspect('phoenix')).RestartCount >= 2 ? true : undefined));
    // Between runs it waits out its delay: docker's inspect calls that running and restarting.
    const shown = await eventually('the restarting state', () => {
      const r = t.cli(['inspect', '-f', '{{.State.Status}} {{.State.Running}} {{.State.Restarting}}', 'phoenix']).stdout.trim();
      return r.startsWith('restarting') ? r : undefined;
    });
    expect(shown).toBe('restarting true true');
    expect(t.cli(['ps', '-a', '--format', '{{.Status}}', '-f', 'name=phoenix']).stdout).toMatch(/^(Restarting \(0\) .* ago|Up .*)\n$/);
    expect(t.cli(['ps']).stdout).toMatch(/phoenix/);
    expect(t.cli(['stop', 'phoenix']).code).toBe(0);
    const stopped = await inspect('phoenix');
    expect(stopped.State.Status).toBe('exited');
    const count = stopped.RestartCount;
    await sleep(1500);
    const later = await inspect('phoenix');
    expect(later.State.Status).toBe('exited');
    expect(later.RestartCount).toBe(count);
  });

  it('system boot starts always and unless-stopped containers after the host went down, not those stopped by hand', async () => {
    runD(['--name', 'svc', '--restart', 'unless-stopped', img, 'sleep', '1000']);
    runD(['--name', 'manual', '--restart', 'unless-stopped', img, 'sleep', '1000']);
    expect(t.cli(['stop', '-t', '0', 'manual']).code).toBe(0);
    // A reboot, as far as berth can tell: the supervisor and the container are gone without a trace.
    const svc = await inspect('svc');
    process.kill(svc.Runtime.shim!.pid, 'SIGKILL');
    process.kill(svc.Runtime.process!.pid, 'SIGKILL');
    await eventually('the supervisor to go', () => (isAlive(svc.Runtime.shim!) ? undefined : true));
    expect((await inspect('svc')).State.Status).toBe('exited');
    const r = t.cli(['system', 'boot']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(svc.Id);
    expect((await inspect('svc')).State.Running).toBe(true);
    expect((await inspect('manual')).State.Running).toBe(false);
  });

  it('container prune removes the stopped containers and keeps the running ones', async () => {
    t.cli(['create', '--name', 'created-only', '--label', 'keep=yes', img]);
    const keep = t.cli(['container', 'prune', '-f', '--filter', 'label!=keep']);
    expect(keep.stdout).toMatch(/^Deleted Containers:\n/);
    expect(keep.stdout).toMatch(/Total reclaimed space: /);
    const names = t.cli(['ps', '-a']).stdout;
    expect(names).toMatch(/created-only/);
    expect(names).not.toMatch(/stubborn|usr1|flaky/);
    expect(names).toMatch(/detached/);
    t.cli(['container', 'prune', '-f']);
    expect(t.cli(['ps', '-a']).stdout).not.toMatch(/created-only/);
  });

  it('repairs after the CLI is killed with SIGKILL during run -d and during rm', async () => {
    for (const delayMs of [30, 80, 150, 300]) {
      const child = t.spawnCli(['run', '-d', '--label', 'crash=yes', img, 'sleep', '1000']);
      // Listened for at once: a CLI faster than the delay has exited before the kill.
      const exited = new Promise((r) => child.once('exit', r));
      await sleep(delayMs);
      child.kill('SIGKILL');
      await exited;
    }
    // Whatever state each run reached, ps lists it and rm -f removes it.
    const ps = t.cli(['ps', '-a', '-q', '--no-trunc']);
    expect(ps.code).toBe(0);
    const running = (await t.engine.list({ all: true })).filter((r) => r.Config.Labels['crash'] === 'yes');
    for (const r of running) {
      const child = t.spawnCli(['rm', '-f', r.Id]);
      const exited = new Promise((res) => child.once('exit', res));
      await sleep(20);
      child.kill('SIGKILL');
      await exited;
    }
    for (const r of await t.engine.list({ all: true })) {
      if (r.Config.Labels['crash'] !== 'yes') continue;
      const rm = t.cli(['rm', '-f', r.Id]);
      expect(rm.code, rm.stderr).toBe(0);
    }
    expect((await t.engine.list({ all: true })).filter((r) => r.Config.Labels['crash'] === 'yes')).toEqual([]);
    for (const r of running) {
      if (r.Runtime.shim) await eventually('the supervisor to go', () => (isAlive(r.Runtime.shim!) ? undefined : true));
    }
    // No supervisor is left waiting for a client, not even one the record never learnt of.
    for (const r of running) expect(shimsOf(path.join(t.root, 'containers', r.Id, 'spec'))).toEqual([]);
    // Nor is anything of their networking left: veths, pinned namespaces, leases.
    const netId = (await t.engine.inspectNetwork('bridge')).Id;
    for (const r of running) {
      await eventually('its veth to go with its namespace', () => (spawnSync('ip', ['link', 'show', vethName(r.Id, netId)]).status !== 0 ? true : undefined));
      expect(existsSync(path.join(t.runRoot, 'netns', r.Id))).toBe(false);
    }
    const leases = path.join(t.root, 'networks', netId, 'leases');
    const holders = existsSync(leases) ? readdirSync(leases).map((f) => readFileSync(path.join(leases, f), 'utf8')) : [];
    expect(holders.filter((h) => running.some((r) => r.Id === h))).toEqual([]);
  });
});

describe.skipIf(skipIntegration('container lifecycle (library)'))('container lifecycle through the Engine', () => {
  let t: TestRoot;

  beforeAll(() => {
    t = makeTestRoot();
    importBusybox(t);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('stops, pauses, renames, updates, restarts, lists processes and samples stats', async () => {
    const { engine } = t;
    const rec = await engine.create({ image: 'busybox:test', cmd: ['sh', '-c', 'trap "exit 9" TERM; while true; do sleep 0.1; done'], name: 'lib' });
    await engine.start(rec.Id);
    await engine.pause('lib');
    expect((await engine.inspect('lib')).State.Paused).toBe(true);
    await engine.unpause('lib');
    await engine.rename('lib', 'lib2');
    await engine.update('lib2', { pidsLimit: 20 });
    expect((await engine.inspect('lib2')).HostConfig.PidsLimit).toBe(20);
    const top = await engine.top('lib2', ['-o', 'pid,args']);
    expect(top.Titles).toEqual(['PID', 'COMMAND']);
    expect(top.Processes.some((p) => p[1]?.startsWith('sh -c trap'))).toBe(true);
    const stats = await engine.stats('lib2');
    expect(stats.pids).toBeGreaterThanOrEqual(1);
    expect(stats.memoryUsage).toBeGreaterThan(0);
    await engine.restart('lib2', { timeout: 5 });
    expect((await engine.inspect('lib2')).State.Running).toBe(true);
    await engine.stop('lib2');
    expect((await engine.inspect('lib2')).State).toMatchObject({ Status: 'exited', ExitCode: 9 });
    await expect(engine.attach('lib2')).rejects.toThrow('You cannot attach to a stopped container, start it first');
    expect((await engine.pruneContainers()).deleted).toEqual([rec.Id]);
  });

  it('attaches to a running container and reads its output from then on', async () => {
    const { engine } = t;
    const rec = await engine.create({ image: 'busybox:test', cmd: ['sh', '-c', 'read x; echo "got $x"; exit 3'], openStdin: true });
    await engine.start(rec.Id);
    const h = await engine.attach(rec.Id);
    let out = '';
    h.stdout.on('data', (d: Buffer) => (out += d.toString()));
    h.stdin.write('ping\n');
    expect((await h.wait()).exitCode).toBe(3);
    expect(out).toBe('got ping\n');
    await engine.remove(rec.Id);
  });
});
