/**
 * The image as `docker image inspect` (and the Engine API's /images/{name}/json)
 * shows it, so the docker CLI and SDKs read berth's answer unchanged.
 */
import type { ContainerConfig, ImageConfig } from './config.js';

/** docker's zero time, shown where a time is unknown. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  /** The container a `docker commit` made it from (docker's builder leaves it too); empty for others. */
  Container: string;
  /** Shown as the image carries it (docker's builder and commit record it; others have none). */
  ContainerConfig: Record<string, unknown> | null;
  DockerVersion: string;
  Author: string;
  Config: ContainerConfig | null;
  Architecture: string;
  Variant?: string;
  Os: string;
  Size: number;
  /** API 1.41's copy of Size. */
  VirtualSize: number;
  GraphDriver: { Name: string; Data: Record<string, string> | null };
  RootFS: { Type: string; Layers: string[] };
  Metadata: { LastTagTime: string };
}

export interface InspectFacts {
  id: string;
  config: ImageConfig;
  repoTags: string[];
  repoDigests?: string[];
  size: number;
  /** Diff dirs of the image's layers, top-most first. */
  lowerDirs: string[];
}

function stringField(config: ImageConfig, key: string): string {
  const value: unknown = (config as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : '';
}

function containerConfigField(config: ImageConfig): Record<string, unknown> | null {
  const value: unknown = (config as Record<string, unknown>)['container_config'];
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** overlay2's view, as docker shows an image: its top layer as UpperDir, the rest as LowerDir. */
function graphDriverData(diffDirs: readonly string[]): Record<string, string> | null {
  const [top, ...rest] = diffDirs;
  if (top === undefined) return null;
  return { UpperDir: top, ...(rest.length > 0 ? { LowerDir: rest.join(':') } : {}) };
}

export function imageInspect(facts: InspectFacts): ImageInspect {
  const { config } = facts;
  return {
    Id: facts.id,
    RepoTags: facts.repoTags,
    RepoDigests: facts.repoDigests ?? [],
    Parent: '',
    Comment: stringField(config, 'comment'),
    Created: config.created ?? ZERO_TIME,
    Container: stringField(config, 'container'),
    ContainerConfig: containerConfigField(config),
    DockerVersion: stringField(config, 'docker_version'),
    Author: config.author ?? '',
    Config: config.config ?? null,
    Architecture: config.architecture,
    ...(config.variant !== undefined ? { Variant: config.variant } : {}),
    Os: config.os,
    Size: facts.size,
    VirtualSize: facts.size,
    GraphDriver: {
      Name: 'overlay2',
      Data: graphDriverData(facts.lowerDirs),
    },
    RootFS: { Type: config.rootfs.type, Layers: config.rootfs.diff_ids },
    Metadata: { LastTagTime: ZERO_TIME },
  };
}
