import { describe, expect, it } from 'vitest';
import { encodeExecSpec } from '../../src/runtime/exec-spec.js';

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
