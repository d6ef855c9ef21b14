/**
 * docker's `ps` filters, evaluated over container records so the CLI and the API share
 * them: status, name, id, label, ancestor, exited, before, since, health, network (and
 * volume, publish, expose, is-task, isolation). Values of one
 * filter OR together (label values AND, as docker's MatchKVList), different filters AND.
 */
import { InvalidArgumentError, NotFoundError } from '../errors.js';
import { containerStatus, type ContainerRecord } from './record.js';
import { matchesLabel } from './labels.js';

/** docker's filters as the API carries them: name → values. */
export type ContainerFilters = Readonly<Record<string, readonly string[]>>;

const KNOWN = new Set(['ancestor', 'before', 'exited', 'expose', 'health', 'id', 'is-task', 'isolation', 'label', 'name', 'network', 'publish', 'since', 'status', 'volume']);
const HEALTH = new Set(['starting', 'healthy', 'unhealthy', 'none']);

/** A publish=/expose= value (`80`, `80/udp`, `8000-8002/tcp`) as the "port/proto" keys it names. */
function portKeys(value: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/.exec(value);
  if (!m) throw new InvalidArgumentError(`invalid port filter: ${value}`);
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (to < from || to - from > 65535) throw new InvalidArgumentError(`invalid port range: ${value}`);
  const keys: string[] = [];
  for (let p = from; p <= to; p++) keys.push(`${p}/${m[3] ?? 'tcp'}`);
  return keys;
}

/** `-f key=value` flags as docker's filters map. */
export function filtersFromArgs(args: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`bad format of filter (expected name=value): ${arg}`);
    (out[arg.slice(0, eq).trim().toLowerCase()] ??= []).push(arg.slice(eq + 1).trim());
  }
  return out;
}

/** The images an ancestor filter names: each image and those built on it (its layers a prefix of theirs). */
export interface ImageLookup {
  resolve(ref: string): Promise<{ id: string; diffIds: readonly string[] } | undefined>;
  all(): Promise<Array<{ id: string; diffIds: readonly string[] }>>;
}

/** Go's regexp.MatchString, unanchored; a bad pattern matches nothing (as docker's filters.Match). */
function regexMatch(pattern: string, text: string): boolean {
  try {
    return new RegExp(pattern).test(text);
  } catch {
    return false;
  }
}

function isZeroTime(t: string): boolean {
  return t.startsWith('0001-01-01');
}

function healthOf(rec: ContainerRecord): string {
  return rec.State.Health?.Status ?? (rec.Config.Healthcheck ? 'starting' : 'none');
}

/** Checks the filters' names and values before any record is read, as docker does. */
export function validateFilters(filters: ContainerFilters): void {
  for (const [key, values] of Object.entries(filters)) {
    if (!KNOWN.has(key)) throw new InvalidArgumentError(`invalid filter '${key}'`);
    for (const v of values) {
      if (key === 'status' && !containerStatus.safeParse(v).success) throw new InvalidArgumentError(`invalid filter 'status=${v}'`);
      if (key === 'health' && !HEALTH.has(v)) throw new InvalidArgumentError(`invalid filter 'health=${v}'`);
      if (key === 'exited' && !/^-?\d+$/.test(v)) throw new InvalidArgumentError(`invalid filter 'exited=${v}'`);
      if (key === 'is-task' && v !== 'true' && v !== 'false') throw new InvalidArgumentError(`invalid filter 'is-task=${v}'`);
    }
  }
}

/**
 * A predicate for the filters; `records` are every container (before/since name one of
 * them). Throws NotFound when before/since name no container, as docker.
 */
export async function containerFilter(filters: ContainerFilters, records: readonly ContainerRecord[], images: ImageLookup): Promise<(rec: ContainerRecord) => boolean> {
  validateFilters(filters);
  const checks: Array<(rec: ContainerRecord) => boolean> = [];
  const values = (k: string): readonly string[] => filters[k] ?? [];
  const has = (k: string): boolean => values(k).length > 0;

  const findRecord = (ref: string): ContainerRecord => {
    const name = ref.startsWith('/') ? ref : `/${ref}`;
    const found = records.find((r) => r.Id === ref || r.Name === name) ?? records.filter((r) => r.Id.startsWith(ref)).at(0);
    if (!found) throw new NotFoundError(`No such container: ${ref}`);
    return found;
  };

  if (has('status')) checks.push((r) => values('status').includes(r.State.Status));
  if (has('id')) checks.push((r) => values('id').some((v) => v === r.Id || regexMatch(v, r.Id)));
  if (has('name')) {
    checks.push((r) => values('name').some((v) => v === r.Name || regexMatch(v, r.Name) || regexMatch(v, r.Name.replace(/^\//, ''))));
  }
  if (has('label')) {
    checks.push((r) =>
      values('label').every((v) => matchesLabel(r.Config.Labels, v)),
    );
  }
  if (has('exited')) {
    const codes = values('exited').map(Number);
    // Only containers that ran and stopped have an exit code to match.
    checks.push((r) => !r.State.Running && r.State.Status !== 'created' && !isZeroTime(r.State.StartedAt) && codes.includes(r.State.ExitCode));
  }
  if (has('health')) checks.push((r) => values('health').includes(healthOf(r)));
  // A network's name or id: the mode, or any network the container is on.
  if (has('network')) {
    checks.push((r) =>
      values('network').some((v) => v === r.HostConfig.NetworkMode || Object.entries(r.NetworkSettings.Networks).some(([name, ep]) => name === v || ep.NetworkID === v)),
    );
  }
  // docker matches the container's side of a port: published ones for publish, exposed ones for expose.
  if (has('publish')) {
    const wanted = values('publish').flatMap(portKeys);
    checks.push((r) => r.State.Running && r.Runtime.ports.some((p) => wanted.includes(`${p.containerPort}/${p.protocol}`)));
  }
  if (has('expose')) {
    const wanted = values('expose').flatMap(portKeys);
    checks.push((r) => Object.keys(r.Config.ExposedPorts ?? {}).some((k) => wanted.includes(k)));
  }
  // A volume's name or any mount's destination, as docker's.
  if (has('volume')) checks.push((r) => r.Mounts.some((m) => values('volume').some((v) => m.Name === v || m.Destination === v)));
  // berth has no swarm tasks and no isolation but the default.
  if (has('is-task')) checks.push(() => values('is-task').includes('false'));
  if (has('isolation')) checks.push(() => values('isolation').includes('default'));
  if (has('before')) {
    const limits = values('before').map(findRecord);
    checks.push((r) => limits.some((l) => r.Created < l.Created));
  }
  if (has('since')) {
    const limits = values('since').map(findRecord);
    checks.push((r) => limits.some((l) => r.Created > l.Created));
  }
  if (has('ancestor')) {
    const ids = await ancestorIds(values('ancestor'), images);
    checks.push((r) => ids.has(r.Image));
  }
  return (rec) => checks.every((c) => c(rec));
}

/** The named images and their descendants; a name that resolves to no image matches nothing, as docker. */
async function ancestorIds(refs: readonly string[], images: ImageLookup): Promise<Set<string>> {
  const roots = (await Promise.all(refs.map((ref) => images.resolve(ref)))).filter((i) => i !== undefined);
  const ids = new Set(roots.map((i) => i.id));
  if (roots.length === 0) return ids;
  for (const img of await images.all()) {
    if (roots.some((root) => root.diffIds.length < img.diffIds.length && root.diffIds.every((d, i) => img.diffIds[i] === d))) ids.add(img.id);
  }
  return ids;
}
