import { describe, expect, it } from 'vitest';
import { DetachScanner, parseDetachKeys } from '../../src/cli/detach-keys.js';
import { encodeExecSpec } from '../../src/runtime/exec-spec.js';

describe('parseDetachKeys', () => {
  it("reads docker's ctrl- and single-character keys", () => {
    expect([...parseDetachKeys('ctrl-p,ctrl-q')]).toEqual([16, 17]);
    expect([...parseDetachKeys('ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_')]).toEqual([0, 27, 28, 29, 30, 31]);
    expect([...parseDetachKeys('a,ctrl-A')]).toEqual([97, 1]);
  });

  it('refuses what docker refuses', () => {
    expect(() => parseDetachKeys('ctrl-1')).toThrow('Invalid detach keys (ctrl-1) provided');
    expect(() => parseDetachKeys('ab')).toThrow('Invalid detach keys (ab) provided');
  });
});

describe('DetachScanner', () => {
  const keys = parseDetachKeys('ctrl-p,ctrl-q');

  it('detaches on the sequence, passing what came before', () => {
    const s = new DetachScanner(keys);
    expect(s.push(Buffer.from('ab\x10\x11cd'))).toEqual({ pass: Buffer.from('ab'), detach: true });
  });

  it('holds a started sequence across chunks and releases it when it breaks', () => {
    const s = new DetachScanner(keys);
    expect(s.push(Buffer.from('x\x10'))).toEqual({ pass: Buffer.from('x'), detach: false });
    expect(s.push(Buffer.from('y'))).toEqual({ pass: Buffer.from('\x10y'), detach: false });
    expect(s.push(Buffer.from('\x10\x10'))).toEqual({ pass: Buffer.from('\x10'), detach: false });
    expect(s.push(Buffer.from('\x11'))).toEqual({ pass: Buffer.alloc(0), detach: true });
  });
});

describe('encodeExecSpec', () => {
  it('writes exec mode: exec_pid and the process, none of the keys that build a root', () => {
    const text = encodeExecSpec({
      containerPid: 42, containerStartTime: 777, args: ['sh', '-c', 'true'], env: ['A=1'], cwd: '/w', user: 'nobody', capabilities: ['CAP_KILL'],
      noNewPrivileges: true, cgroupProcs: [], cgroupTasks: ['/sys/fs/cgroup/pids/x/tasks'], tty: true, consoleSize: [10, 20],
      stdin: true, exitFile: '/e/exit.json', socket: '/s',
    }).toString('utf8');
    const recs = text.slice(0, -1).split('\0');
    expect(recs.slice(0, 2)).toEqual(['exec_pid=42', 'exec_pid_start=777']);
    expect(recs).toEqual(expect.arrayContaining(['arg=sh', 'arg=-c', 'arg=true', 'cwd=/w', 'user=nobody', 'tty_rows=10', 'tty_cols=20', 'cgroup_tasks=/sys/fs/cgroup/pids/x/tasks']));
    expect(recs.some((r) => /^(rootfs|lower|upper|work|hostname|log)=/.test(r))).toBe(false);
  });
});
