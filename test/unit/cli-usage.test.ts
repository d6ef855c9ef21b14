/** `berth COMMAND --help` through runCli: the usage line names the command once, with its arguments. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';

async function help(args: string[]): Promise<string> {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (d: Buffer) => (text += d.toString()));
  const code = await runCli([...args, '--help'], { stdin: new PassThrough(), stdout, stderr: new PassThrough(), env: {}, cwd: '/' });
  expect(code).toBe(0);
  return text.split('\n')[0]!;
}

describe('usage lines', () => {
  it('name a command that takes nothing once', async () => {
    expect(await help(['system', 'df'])).toBe('Usage:  berth system df');
    expect(await help(['system', 'service'])).toBe('Usage:  berth system service');
    expect(await help(['version'])).toBe('Usage:  berth version');
  });

  it('keep the arguments of the others', async () => {
    expect(await help(['ps'])).toBe('Usage:  berth ps [OPTIONS]');
    expect(await help(['wait'])).toBe('Usage:  berth wait CONTAINER [CONTAINER...]');
    expect(await help(['image', 'ls'])).toMatch(/^Usage: {2}berth image ls \[OPTIONS\]/);
  });
});
