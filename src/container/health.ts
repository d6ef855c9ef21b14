/**
 * The health check without a daemon: the container's shim runs it (native/shim/health.c)
 * from spec keys made here, and writes docker's State.Health to a file in the container's
 * dir, which the engine shows on inspect and ps.
 */
import path from 'node:path';
import { healthState, type ContainerRecord, type HealthConfig, type HealthState } from './record.js';
import { readJsonFile } from '../util/atomic-file.js';

/** docker's defaults for a HealthConfig field left 0. */
const DEFAULT_INTERVAL_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 3;

export const HEALTH_FILE = 'health.json';

export interface ShimHealthCheck {
  cmd: string[];
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  retries: number;
  file: string;
}

function ms(ns: number, fallback: number): number {
  return ns > 0 ? Math.max(1, Math.round(ns / 1e6)) : fallback;
}

/** The check's argv: CMD as given, CMD-SHELL through /bin/sh -c; undefined for NONE or none. */
export function healthArgv(test: readonly string[]): string[] | undefined {
  const [kind, ...rest] = test;
  if (kind === 'CMD' && rest.length > 0) return rest;
  if (kind === 'CMD-SHELL' && rest.length > 0) return ['/bin/sh', '-c', rest.join(' ')];
  return undefined;
}

export function shimHealthCheck(config: HealthConfig | undefined, dir: string): ShimHealthCheck | undefined {
  const cmd = config ? healthArgv(config.Test) : undefined;
  if (!config || !cmd) return undefined;
  return {
    cmd,
    intervalMs: ms(config.Interval, DEFAULT_INTERVAL_MS),
    timeoutMs: ms(config.Timeout, DEFAULT_TIMEOUT_MS),
    startPeriodMs: ms(config.StartPeriod, 0),
    retries: config.Retries > 0 ? config.Retries : DEFAULT_RETRIES,
    file: path.join(dir, HEALTH_FILE),
  };
}

/** The record with State.Health from the shim's file, for a container that has a health check. */
export async function withHealth(rec: ContainerRecord, dir: string): Promise<ContainerRecord> {
  if (!healthArgv(rec.Config.Healthcheck?.Test ?? [])) return rec;
  const found = await readJsonFile(path.join(dir, HEALTH_FILE), healthState).catch(() => undefined);
  const health: HealthState = found ?? { Status: 'starting', FailingStreak: 0, Log: [] };
  return { ...rec, State: { ...rec.State, Health: health } };
}
