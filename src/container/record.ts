/**
 * A container's record on disk, in the shape of docker's inspect output so the
 * CLI and the API can show it as it is, plus berth's own runtime facts.
 */
import { z } from 'zod';

export const containerStatus = z.enum(['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead']);
export type ContainerStatus = z.infer<typeof containerStatus>;

const identity = z.object({ pid: z.number().int(), startTime: z.number() });

export const containerRecordSchema = z.object({
  Id: z.string().regex(/^[0-9a-f]{64}$/),
  Name: z.string(),
  Created: z.string(),
  /** The image id (sha256:…). */
  Image: z.string(),
  Path: z.string(),
  Args: z.array(z.string()),
  Config: z.object({
    Hostname: z.string(),
    User: z.string(),
    Env: z.array(z.string()),
    Cmd: z.array(z.string()).nullable(),
    Entrypoint: z.array(z.string()).nullable(),
    WorkingDir: z.string(),
    Tty: z.boolean(),
    OpenStdin: z.boolean(),
    Labels: z.record(z.string()),
    /** The image as the user named it. */
    Image: z.string(),
  }),
  HostConfig: z.object({
    Memory: z.number(),
    NanoCpus: z.number(),
    CpuShares: z.number(),
    PidsLimit: z.number(),
    NetworkMode: z.string(),
    CgroupParent: z.string(),
    CapAdd: z.array(z.string()),
    CapDrop: z.array(z.string()),
    Privileged: z.boolean(),
    AutoRemove: z.boolean(),
    ConsoleSize: z.tuple([z.number(), z.number()]).optional(),
  }),
  State: z.object({
    Status: containerStatus,
    Running: z.boolean(),
    Pid: z.number(),
    ExitCode: z.number(),
    OOMKilled: z.boolean(),
    Error: z.string(),
    StartedAt: z.string(),
    FinishedAt: z.string(),
  }),
  /** berth's own: what it needs to supervise and clean up the container. */
  Runtime: z.object({
    /** Chain ids of the image's layers, bottom first. */
    layers: z.array(z.string()),
    shim: identity.nullable(),
    process: identity.nullable(),
    cgroup: z.unknown().nullable(),
  }),
});

export type ContainerRecord = z.infer<typeof containerRecordSchema>;

/** docker's zero time, used for StartedAt/FinishedAt that have not happened. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';
