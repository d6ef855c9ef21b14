/**
 * The /etc/hosts, /etc/hostname and /etc/resolv.conf every container gets as its
 * own files, bound over the image's, as docker does.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ContainerRecord } from './record.js';
import type { BindMount } from '../runtime/shim-spec.js';

const LOOPBACK_HOSTS = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

/** Small local files, read and written synchronously on the start path (see util/atomic-file.ts). */
function readHostFile(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

export async function etcFiles(dir: string, rec: ContainerRecord): Promise<BindMount[]> {
  const hostNetwork = rec.HostConfig.NetworkMode === 'host';
  const hosts = hostNetwork
    ? readHostFile('/etc/hosts', `${LOOPBACK_HOSTS.join('\n')}\n`)
    : `${LOOPBACK_HOSTS.join('\n')}\n`;
  const resolv = readHostFile('/etc/resolv.conf', '');
  const files: Array<[string, string, string]> = [
    ['hosts', '/etc/hosts', hosts],
    ['hostname', '/etc/hostname', `${rec.Config.Hostname}\n`],
    ['resolv.conf', '/etc/resolv.conf', resolv],
  ];
  const binds: BindMount[] = [];
  for (const [name, destination, content] of files) {
    const source = path.join(dir, name);
    writeFileSync(source, content, { mode: 0o644 });
    binds.push({ source, destination, readonly: false });
  }
  return binds;
}
