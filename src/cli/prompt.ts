/** docker's y/N confirmation prompt. */
import { createRequire } from 'node:module';

/** One line from stdin: y or yes (any case) confirms, as docker's prompt takes it. */
export async function confirmed(input: NodeJS.ReadableStream): Promise<boolean> {
  // Loaded late through require: the CLI bundle cannot import() (see bin/berth.js).
  const { createInterface } = createRequire(import.meta.url)('node:readline') as typeof import('node:readline');
  const rl = createInterface({ input });
  try {
    const line = await new Promise<string>((resolve) => {
      rl.once('line', resolve);
      rl.once('close', () => resolve(''));
    });
    return /^y(es)?$/i.test(line.trim());
  } finally {
    rl.close();
  }
}
