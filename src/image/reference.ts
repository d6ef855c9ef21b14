/**
 * Image references (`name`, `name:tag`, `host:port/path/name:tag`, `name@digest`),
 * checked with docker's grammar (distribution/reference) and normalised so that a
 * bare name means its `latest` tag. This module is the one place that knows the
 * grammar. Names are kept in docker's familiar form: `docker.io/library/busybox` and
 * `busybox` are the same image, stored and shown as `busybox`.
 */
import { InvalidArgumentError } from '../errors.js';

export interface Reference {
  /** Repository name, with its registry host when one was given. */
  name: string;
  /** Absent only when a digest was given without a tag. */
  tag?: string;
  digest?: string;
}

export const DEFAULT_TAG = 'latest';
const MAX_NAME_LENGTH = 255;

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?$`);
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;

function invalid(ref: string, why?: string): InvalidArgumentError {
  return new InvalidArgumentError(`invalid reference format${why ? `: ${why}` : ''}: ${JSON.stringify(ref)}`);
}

/** A first path component is a registry host when it looks like one (docker's rule). */
function isDomain(first: string): boolean {
  return first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase();
}

export function parseReference(ref: string): Reference {
  if (ref === '') throw invalid(ref, 'repository name must have at least one component');
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(ref, 'invalid digest');
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(ref, 'invalid tag');
  }
  const name = rest;
  if (name.length > MAX_NAME_LENGTH) throw invalid(ref, `repository name must not be more than ${MAX_NAME_LENGTH} characters`);
  const components = name.split('/');
  const first = components[0] ?? '';
  const hasDomain = components.length > 1 && isDomain(first);
  if (hasDomain && !DOMAIN.test(first)) throw invalid(ref, 'invalid registry host');
  const pathComponents = hasDomain ? components.slice(1) : components;
  for (const part of pathComponents) {
    if (PATH_COMPONENT.test(part)) continue;
    if (PATH_COMPONENT.test(part.toLowerCase())) throw invalid(ref, `repository name (${name}) must be lowercase`);
    throw invalid(ref);
  }
  return { name: familiarName(hasDomain ? first : undefined, pathComponents), ...(tag !== undefined || digest === undefined ? { tag: tag ?? DEFAULT_TAG } : {}), ...(digest !== undefined ? { digest } : {}) };
}

const DOCKER_HUB_NAMES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
export const DOCKER_HUB = 'docker.io';
/** The host Docker Hub's registry API answers on. */
export const DOCKER_HUB_API = 'registry-1.docker.io';

/** Docker Hub's domain and its `library/` namespace are left out of a name, as docker shows it. */
function familiarName(domain: string | undefined, path: string[]): string {
  if (domain === undefined || DOCKER_HUB_NAMES.has(domain)) {
    if (path.length === 2 && path[0] === 'library') return path[1]!;
    return path.join('/');
  }
  return [domain, ...path].join('/');
}

/** Where a repository lives: its registry (`docker.io` for names without one) and its path there. */
export function registryLocation(name: string): { registry: string; repository: string } {
  const components = name.split('/');
  const first = components[0] ?? '';
  if (components.length > 1 && isDomain(first)) return { registry: first, repository: components.slice(1).join('/') };
  return { registry: DOCKER_HUB, repository: components.length === 1 ? `library/${name}` : name };
}

/** `name:tag` (bare names get `latest`), or `name@digest` for a digest-only reference. */
export function formatReference(ref: Reference): string {
  const tagged = ref.tag !== undefined ? `${ref.name}:${ref.tag}` : ref.name;
  return ref.digest !== undefined ? `${tagged}@${ref.digest}` : tagged;
}

export function normalizeReference(ref: string): string {
  return formatReference(parseReference(ref));
}

/** A reference that names a tag (`name[:tag]`, no digest), normalised; what `tag` and `import` accept. */
export function normalizeTagReference(ref: string): string {
  const parsed = parseReference(ref);
  if (parsed.digest !== undefined) throw new InvalidArgumentError(`refusing to create a tag with a digest reference: ${ref}`);
  return formatReference(parsed);
}

/** The built-in image, made locally on first use (src/image/hello-world.ts). */
export const HELLO_WORLD_REF = 'hello-world:latest';
