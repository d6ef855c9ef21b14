/**
 * The image configuration (OCI image config / docker's image JSON), validated with
 * zod wherever it is read: from disk, from tarballs, later from registries. Fields
 * berth does not use pass through untouched, so a config round-trips.
 */
import { z } from 'zod';
import { InvalidArgumentError } from '../errors.js';

const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'expected sha256:<64 hex digits>');
/** Docker writes `null` for empty lists and maps; absent and null mean the same. */
const stringList = z.array(z.string()).nullish();
const emptyObjectMap = z.record(z.string(), z.object({}).passthrough()).nullish();

export const containerConfigSchema = z
  .object({
    User: z.string().optional(),
    ExposedPorts: emptyObjectMap,
    Env: stringList,
    Entrypoint: stringList,
    Cmd: stringList,
    Volumes: emptyObjectMap,
    WorkingDir: z.string().optional(),
    Labels: z.record(z.string(), z.string()).nullish(),
    StopSignal: z.string().optional(),
    Healthcheck: z
      .object({
        Test: stringList,
        Interval: z.number().int().nonnegative().optional(),
        Timeout: z.number().int().nonnegative().optional(),
        StartPeriod: z.number().int().nonnegative().optional(),
        Retries: z.number().int().nonnegative().optional(),
      })
      .passthrough()
      .nullish(),
  })
  .passthrough();

export const historySchema = z
  .object({
    created: z.string().optional(),
    created_by: z.string().optional(),
    author: z.string().optional(),
    comment: z.string().optional(),
    empty_layer: z.boolean().optional(),
  })
  .passthrough();

export const imageConfigSchema = z
  .object({
    architecture: z.string().min(1),
    os: z.string().min(1),
    variant: z.string().optional(),
    created: z.string().optional(),
    author: z.string().optional(),
    config: containerConfigSchema.nullish(),
    rootfs: z.object({ type: z.literal('layers'), diff_ids: z.array(digest) }).passthrough(),
    history: z.array(historySchema).nullish(),
  })
  .passthrough();

export type ContainerConfig = z.infer<typeof containerConfigSchema>;
export type HistoryEntry = z.infer<typeof historySchema>;
export type ImageConfig = z.infer<typeof imageConfigSchema>;

/** Validates an image config; what names the source in the error. */
export function parseImageConfig(value: unknown, what = 'image config'): ImageConfig {
  const parsed = imageConfigSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw new InvalidArgumentError(`invalid ${what}: ${where}${issue?.message ?? 'invalid'}`);
}

/** Parses config bytes (JSON) as stored or downloaded. */
export function parseImageConfigBytes(bytes: Uint8Array, what = 'image config'): ImageConfig {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new InvalidArgumentError(`invalid ${what}: not JSON`);
  }
  return parseImageConfig(value, what);
}
