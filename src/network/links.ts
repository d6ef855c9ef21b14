/**
 * Legacy links on the default bridge (`--link NAME[:ALIAS]`): docker's environment variables
 * naming the linked container's address and exposed ports.
 */
import { InvalidArgumentError } from '../errors.js';

export interface LinkSpec {
  name: string;
  alias: string;
}

/** `NAME[:ALIAS]`; the alias defaults to the name. */
export function parseLink(spec: string): LinkSpec {
  const parts = spec.split(':');
  const name = (parts[0] ?? '').replace(/^\//, '');
  const alias = (parts[1] ?? name).replace(/^\//, '');
  if (parts.length > 2 || name === '' || alias === '') throw new InvalidArgumentError(`invalid link format: ${spec}, expected NAME[:ALIAS]`);
  return { name, alias };
}

export interface LinkedContainer {
  /** Its name without the leading slash. */
  name: string;
  ip: string;
  /** Exposed ports as "80/tcp". */
  exposed: readonly string[];
  env: readonly string[];
}

function portNumber(key: string): number {
  return Number.parseInt(key, 10);
}

/** What docker sets in the linking container for one link. */
export function linkEnv(link: LinkSpec, self: string, target: LinkedContainer): string[] {
  const prefix = link.alias.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
  const out = [`${prefix}_NAME=/${self}/${link.alias}`];
  const ports = [...target.exposed].sort((a, b) => portNumber(a) - portNumber(b) || a.localeCompare(b));
  const first = ports[0];
  if (first) {
    const [port, proto] = first.split('/');
    out.push(`${prefix}_PORT=${proto}://${target.ip}:${port}`);
  }
  for (const key of ports) {
    const [port, proto = 'tcp'] = key.split('/');
    const base = `${prefix}_PORT_${port}_${proto.toUpperCase()}`;
    out.push(`${base}=${proto}://${target.ip}:${port}`, `${base}_ADDR=${target.ip}`, `${base}_PORT=${port}`, `${base}_PROTO=${proto}`);
  }
  for (const kv of target.env) {
    const eq = kv.indexOf('=');
    if (eq <= 0) continue;
    const key = kv.slice(0, eq);
    // docker leaves out what every image sets anyway.
    if (key === 'HOME' || key === 'PATH') continue;
    out.push(`${prefix}_ENV_${key}=${kv.slice(eq + 1)}`);
  }
  return out;
}
