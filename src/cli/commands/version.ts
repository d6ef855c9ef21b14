/** `berth version`: what is running, as docker's Client section. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandContext } from '../context.js';

export function berthVersion(): string {
  const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'package.json');
  const parsed = JSON.parse(readFileSync(pkg, 'utf8')) as { version?: unknown };
  return typeof parsed.version === 'string' ? parsed.version : 'unknown';
}

const OCI_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

export async function versionCommand(ctx: CommandContext): Promise<number> {
  const rows: Array<[string, string]> = [
    ['Version', berthVersion()],
    ['Node.js version', process.version],
    ['OS/Arch', `linux/${OCI_ARCH[process.arch] ?? process.arch}`],
    ['Root', ctx.engine.paths.root],
  ];
  ctx.out(`Client: berth\n${rows.map(([k, v]) => ` ${`${k}:`.padEnd(18)} ${v}\n`).join('')}`);
  return 0;
}
