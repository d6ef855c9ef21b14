/** Running a command under a real pseudo-terminal (util-linux `script`), for tests of -t and detach keys. */
import { spawn, spawnSync } from 'node:child_process';

export const hasScript = spawnSync('script', ['--version']).status === 0;
if (!hasScript) process.stderr.write('SKIPPED terminal tests: util-linux `script` is not installed\n');

/** Runs a command under a pseudo-terminal made by util-linux `script`, feeding it input over time. */
export function underTerminal(command: string, inputs: Array<{ afterMs: number; data: string }>, timeoutMs = 20_000): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    for (const i of inputs) setTimeout(() => child.stdin.write(i.data), i.afterMs);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out; output so far: ${output}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, output });
    });
  });
}
