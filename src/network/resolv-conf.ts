/**
 * A container's /etc/resolv.conf, made from the host's as docker makes it: on a network of
 * its own, nameservers on the host's loopback are unreachable and dropped (with none left,
 * Google's public ones stand in); --dns, --dns-search and --dns-option replace the lines.
 */

const FALLBACK_NAMESERVERS = ['8.8.8.8', '8.8.4.4'];

export interface DnsSettings {
  servers: readonly string[];
  search: readonly string[];
  options: readonly string[];
}

function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === '::1';
}

export function resolvConf(hostText: string, dns: DnsSettings, ownNetwork: boolean): string {
  const lines = hostText.split('\n');
  const values = (key: string): string[] =>
    lines.flatMap((l) => {
      const [k, ...rest] = l.trim().split(/\s+/);
      return k === key ? rest : [];
    });
  let servers = dns.servers.length > 0 ? [...dns.servers] : values('nameserver');
  if (ownNetwork && dns.servers.length === 0) {
    servers = servers.filter((s) => !isLoopback(s));
    if (servers.length === 0) servers = FALLBACK_NAMESERVERS;
  }
  const search = dns.search.length > 0 ? dns.search : values('search');
  const options = dns.options.length > 0 ? dns.options : values('options');
  const out = [
    ...servers.map((s) => `nameserver ${s}`),
    // docker: `--dns-search .` means no search domains at all.
    ...(search.length > 0 && !(search.length === 1 && search[0] === '.') ? [`search ${search.join(' ')}`] : []),
    ...(options.length > 0 ? [`options ${options.join(' ')}`] : []),
  ];
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}
