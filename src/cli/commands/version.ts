/** `berth version`: what is running, as docker's Client section. */
import type { CommandContext } from '../context.js';
import { packageVersion } from '../../package-root.js';

const OCI_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

export async function versionCommand(ctx: CommandContext): Promise<number> {
  const rows: Array<[string, string]> = [
    ['Version', packageVersion()],
    ['Node.js version', process.version],
    ['OS/Arch', `linux/${OCI_ARCH[process.arch] ?? process.arch}`],
    ['Root', ctx.engine.paths.root],
  ];
  ctx.out(`Client: berth\n${rows.map(([k, v]) => ` ${`${k}:`.padEnd(18)} ${v}\n`).join('')}`);
  return 0;
}
