/**
 * berth's whole nftables table, rendered from the engine's state: published ports (DNAT),
 * masquerade out of bridges and back into them, and isolation between bridges. The text
 * replaces the table in one `nft -f` transaction, so no rule is ever deleted one by one and
 * no half-applied state is seen. Every name and address is validated first: nothing from a
 * user reaches nft as syntax.
 */
import { isIPv4 } from 'node:net';
import { ConflictError, InvalidArgumentError } from '../errors.js';
import type { NatEndpoint, NatNetwork, PublishedPort } from './types.js';

const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** IFNAMSIZ-1 characters, and none that nft reads as syntax inside quotes. */
const BRIDGE_NAME = /^[a-zA-Z0-9_.-]{1,15}$/;

function checkTable(table: string): void {
  if (!TABLE_NAME.test(table)) throw new InvalidArgumentError(`invalid nftables table name ${JSON.stringify(table)}: want a letter, then letters, digits or _`);
}

function checkBridge(bridge: string): void {
  if (!BRIDGE_NAME.test(bridge)) throw new InvalidArgumentError(`invalid bridge name ${JSON.stringify(bridge)}: want 1-15 of a-z A-Z 0-9 _ . -`);
}

function checkIp(ip: string, what: string): void {
  if (!isIPv4(ip)) throw new InvalidArgumentError(`invalid ${what} ${JSON.stringify(ip)}: want an IPv4 address`);
}

function ipv4Number(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

/** A network's subnet as nft takes it: an IPv4 network address with no host bits set. */
function checkSubnet(subnet: string): void {
  const [ip = '', bits = '', ...rest] = subnet.split('/');
  const prefix = Number(bits);
  if (rest.length > 0 || !isIPv4(ip) || !/^\d{1,2}$/.test(bits) || prefix > 32) {
    throw new InvalidArgumentError(`invalid subnet ${JSON.stringify(subnet)}: want an IPv4 CIDR like 10.88.0.0/16`);
  }
  const hostBits = prefix === 32 ? 0 : 2 ** (32 - prefix) - 1;
  if (ipv4Number(ip) % (hostBits + 1) !== 0) throw new InvalidArgumentError(`invalid subnet ${subnet}: host bits are set`);
}

function checkPort(port: number, what: string): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError(`invalid ${what} ${port}: want 1-65535`);
}

function checkPublished(p: PublishedPort): void {
  if (p.protocol !== 'tcp' && p.protocol !== 'udp') throw new InvalidArgumentError(`invalid protocol ${JSON.stringify(p.protocol)}: want tcp or udp`);
  checkIp(p.hostIp, 'host IP');
  checkPort(p.hostPort, 'host port');
  checkPort(p.containerPort, 'container port');
}

/** Two published ports that the same packet would match: same protocol and port, and the same address or 0.0.0.0. */
function checkNoOverlap(endpoints: NatEndpoint[]): void {
  const seen = new Map<string, string[]>();
  for (const e of endpoints) {
    for (const p of e.ports) {
      const key = `${p.protocol}/${p.hostPort}`;
      const ips = seen.get(key) ?? [];
      if (ips.some((ip) => ip === p.hostIp || ip === '0.0.0.0' || p.hostIp === '0.0.0.0')) {
        throw new ConflictError(`Bind for ${p.hostIp}:${p.hostPort} failed: port is already allocated`);
      }
      ips.push(p.hostIp);
      seen.set(key, ips);
    }
  }
}

function validate(table: string, networks: NatNetwork[], endpoints: NatEndpoint[]): void {
  checkTable(table);
  const bridges = new Set<string>();
  for (const n of networks) {
    checkBridge(n.bridge);
    checkSubnet(n.subnet);
    if (bridges.has(n.bridge)) throw new InvalidArgumentError(`bridge ${n.bridge} is given for two networks`);
    bridges.add(n.bridge);
  }
  for (const e of endpoints) {
    checkBridge(e.bridge);
    if (!bridges.has(e.bridge)) throw new InvalidArgumentError(`endpoint ${e.ip} is on bridge ${e.bridge}, which is no network's`);
    checkIp(e.ip, 'endpoint IP');
    for (const p of e.ports) checkPublished(p);
  }
  checkNoOverlap(endpoints);
}

function dnatRule(ip: string, p: PublishedPort): string {
  const daddr = p.hostIp === '0.0.0.0' ? '' : `ip daddr ${p.hostIp} `;
  return `${daddr}${p.protocol} dport ${p.hostPort} dnat to ${ip}:${p.containerPort}`;
}

function forwardRules(networks: NatNetwork[]): string[] {
  const rules: string[] = [];
  for (const n of networks) {
    const others = networks.filter((o) => o.bridge !== n.bridge).map((o) => `"${o.bridge}"`);
    // Isolation between berth's own bridges; traffic to anything else is not berth's to judge.
    if (others.length > 0) rules.push(`iifname "${n.bridge}" oifname { ${others.join(', ')} } drop`);
  }
  for (const n of networks.filter((net) => net.internal)) {
    rules.push(`iifname "${n.bridge}" oifname != "${n.bridge}" drop`, `oifname "${n.bridge}" iifname != "${n.bridge}" drop`);
  }
  return rules;
}

function postroutingRules(networks: NatNetwork[]): string[] {
  const rules: string[] = [];
  for (const n of networks) {
    if (!n.internal) rules.push(`ip saddr ${n.subnet} oifname != "${n.bridge}" masquerade`);
    // DNATed loopback traffic needs a source the container can answer (route_localnet lets it leave lo).
    rules.push(`oifname "${n.bridge}" ip saddr 127.0.0.0/8 masquerade`);
    // Hairpin: a container reaching a published port via the gateway must get replies through it.
    rules.push(`oifname "${n.bridge}" ip saddr ${n.subnet} ct status dnat masquerade`);
  }
  return rules;
}

function chain(name: string, hook: string | undefined, rules: string[]): string[] {
  return [`\tchain ${name} {`, ...(hook === undefined ? [] : [`\t\t${hook}`]), ...rules.map((r) => `\t\t${r}`), '\t}'];
}

/**
 * The `nft -f` input that replaces table `ip <table>` with the rules for these networks and
 * endpoints. The empty declaration before the delete makes the delete valid when the table
 * does not exist yet; the three run as one transaction.
 */
export function renderRuleset(table: string, networks: NatNetwork[], endpoints: NatEndpoint[]): string {
  validate(table, networks, endpoints);
  const dnat = endpoints.flatMap((e) => e.ports.map((p) => dnatRule(e.ip, p)));
  const lines = [
    `table ip ${table} {}`,
    `delete table ip ${table}`,
    `table ip ${table} {`,
    ...chain('prerouting', 'type nat hook prerouting priority dstnat; policy accept;', ['fib daddr type local jump published']),
    ...chain('output', 'type nat hook output priority -100; policy accept;', ['fib daddr type local jump published']),
    ...chain('published', undefined, dnat),
    ...chain('postrouting', 'type nat hook postrouting priority srcnat; policy accept;', postroutingRules(networks)),
    ...chain('forward', 'type filter hook forward priority filter; policy accept;', forwardRules(networks)),
    '}',
  ];
  return `${lines.join('\n')}\n`;
}

/** The `nft -f` input that removes table `ip <table>`, and does nothing when it is absent. */
export function renderDeleteTable(table: string): string {
  checkTable(table);
  return `table ip ${table} {}\ndelete table ip ${table}\n`;
}
