/**
 * The /etc/hosts, /etc/hostname and /etc/resolv.conf every container gets as its
 * own files, bound over the image's, as docker does. /etc/hosts is rewritten in place
 * while the container runs (peers coming and going on its user networks): the bind
 * mount holds the inode, so the file is never replaced, only overwritten.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ContainerRecord } from './record.js';
import type { BindMount } from '../runtime/shim-spec.js';
import { resolvConf } from '../network/resolv-conf.js';

const LOOPBACK_HOSTS = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

/** One /etc/hosts line: an address and its names. */
export type HostsEntry = readonly [ip: string, names: readonly string[]];

/** Small local files, read and written synchronously on the start path (see util/atomic-file.ts). */
function readHostFile(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

export function hostsText(entries: readonly HostsEntry[]): string {
  return `${[...LOOPBACK_HOSTS, ...hostsLines(entries)].join('\n')}\n`;
}

function hostsLines(entries: readonly HostsEntry[]): string[] {
  return entries.map(([ip, names]) => `${ip}\t${names.join(' ')}`);
}

/** The host's own hosts file (--network host) with the container's extra lines after it. */
function withEntries(text: string, entries: readonly HostsEntry[]): string {
  if (entries.length === 0) return text;
  return `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${hostsLines(entries).join('\n')}\n`;
}

export function hostsFilePath(dir: string): string {
  return path.join(dir, 'hosts');
}

/** Overwrites a running container's /etc/hosts (same inode: its bind mount sees the change). */
export function rewriteHosts(dir: string, entries: readonly HostsEntry[]): void {
  writeFileSync(hostsFilePath(dir), hostsText(entries));
}

export async function etcFiles(dir: string, rec: ContainerRecord, hostsEntries: readonly HostsEntry[]): Promise<BindMount[]> {
  const hostNetwork = rec.HostConfig.NetworkMode === 'host';
  const hosts = hostNetwork ? withEntries(readHostFile('/etc/hosts', hostsText([])), hostsEntries) : hostsText(hostsEntries);
  const h = rec.HostConfig;
  const resolv = resolvConf(readHostFile('/etc/resolv.conf', ''), { servers: h.Dns, search: h.DnsSearch, options: h.DnsOptions }, !hostNetwork);
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
