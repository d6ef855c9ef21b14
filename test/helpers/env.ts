/** Facts about the machine the tests run on, and the reasons a test cannot run. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const isRoot = process.getuid?.() === 0;
export const nativeBuilt = existsSync(path.join(repoRoot, 'build', 'Release', 'berth_native.node'));
export const busyboxPath = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
/** Debian's zstd CLI, the tests' compressor independent of berth. */
export const zstdPath = ['/usr/bin/zstd', '/bin/zstd'].find((p) => existsSync(p));

/** Why integration tests cannot run here, or undefined when they can. */
export function integrationSkipReason(): string | undefined {
  if (!isRoot) return 'integration tests need root (run as root, e.g. in CI or a privileged VM)';
  if (!nativeBuilt) return "the native addon is not built: run 'npm install' or 'npm run build'";
  if (!busyboxPath) return 'busybox-static is not installed (apt-get install busybox-static)';
  return undefined;
}

/** Prints the reason once so a skipped suite never passes silently. */
export function skipIntegration(suite: string): boolean {
  const reason = integrationSkipReason();
  if (reason) process.stderr.write(`SKIPPED ${suite}: ${reason}\n`);
  return reason !== undefined;
}
