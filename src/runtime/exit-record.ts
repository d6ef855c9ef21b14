/** The exit record a berth-shim writes when its process ends (native/shim/PROTOCOL.md "Exit record"). */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export const exitRecordSchema = z.object({
  exitCode: z.number().int(),
  signal: z.number().int().nullable().optional(),
  finishedAt: z.string(),
  error: z.string().nullable().optional(),
});
export type ExitRecord = z.infer<typeof exitRecordSchema>;

/** undefined while there is none (the process runs, or its shim died before writing it). */
export function readExitRecord(file: string): ExitRecord | undefined {
  try {
    return exitRecordSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return undefined;
  }
}
