/**
 * Limits as both cgroup versions apply them: validated once, in the kernel's units.
 */
import { InvalidArgumentError } from '../errors.js';
import type { Limits } from './types.js';

/** docker's CFS period; a quota is expressed against it. */
export const CPU_PERIOD_US = 100_000;
/** The kernel refuses a CFS quota below 1 ms (docker: "minimum allowed is 0.01 CPUs"). */
const MIN_CPU_QUOTA_US = 1_000;
const MIN_CPU_SHARES = 2;
/** v1's cpu.shares ceiling; the kernel clamps larger values to it, and so does berth for v2. */
export const MAX_CPU_SHARES = 262_144;

export interface CgroupLimits {
  memoryBytes?: number;
  cpuQuotaUs?: number;
  cpuShares?: number;
  pidsMax?: number;
  privileged: boolean;
}

function wholeNumber(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value)) throw new InvalidArgumentError(`${name} must be a whole number, got ${value}`);
  return value;
}

export function normalizeLimits(limits: Limits): CgroupLimits {
  const out: CgroupLimits = { privileged: limits.privileged === true };

  const memory = wholeNumber('memory limit', limits.memory);
  if (memory !== undefined && memory < 0) throw new InvalidArgumentError(`memory limit must not be negative, got ${memory}`);
  if (memory) out.memoryBytes = memory;

  const nanoCpus = wholeNumber('nanoCpus', limits.nanoCpus);
  if (nanoCpus !== undefined && nanoCpus < 0) throw new InvalidArgumentError(`nanoCpus must not be negative, got ${nanoCpus}`);
  if (nanoCpus) {
    const quota = Math.floor((nanoCpus * CPU_PERIOD_US) / 1e9);
    if (quota < MIN_CPU_QUOTA_US) {
      throw new InvalidArgumentError(`Range of CPUs is from 0.01 to the number of CPUs; ${nanoCpus / 1e9} is too small`);
    }
    out.cpuQuotaUs = quota;
  }

  const shares = wholeNumber('cpu shares', limits.cpuShares);
  if (shares) {
    if (shares < MIN_CPU_SHARES) throw new InvalidArgumentError(`cpu shares must be at least ${MIN_CPU_SHARES}, got ${shares}`);
    out.cpuShares = Math.min(shares, MAX_CPU_SHARES);
  }

  const pids = wholeNumber('pids limit', limits.pidsLimit);
  if (pids !== undefined && pids > 0) out.pidsMax = pids;
  return out;
}

/** The controllers a set of limits needs (named alike on v1 and v2), to refuse limits the host cannot enforce. */
export function requiredControllers(limits: CgroupLimits): string[] {
  const need: string[] = [];
  if (limits.memoryBytes !== undefined) need.push('memory');
  if (limits.cpuQuotaUs !== undefined || limits.cpuShares !== undefined) need.push('cpu');
  if (limits.pidsMax !== undefined) need.push('pids');
  return need;
}
