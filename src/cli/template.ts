/**
 * The part of docker's `--format` Go templates that listing commands use: `{{.Field}}`
 * placeholders, `\t` and `\n` escapes, a `table ` prefix for a header row, and `json` for
 * one JSON object per line. Anything else in braces is refused, never printed literally.
 */
import { InvalidArgumentError } from '../errors.js';

const PLACEHOLDER = /\{\{\s*\.(\w+)\s*\}\}/g;

export function renderRows(format: string, rows: ReadonlyArray<Record<string, string>>, fields: readonly string[]): string {
  if (format === 'json') return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  const isTable = format.startsWith('table');
  const body = (isTable ? format.slice('table'.length).trimStart() : format).replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  const leftover = body.replace(PLACEHOLDER, '');
  if (leftover.includes('{{')) throw new InvalidArgumentError(`template: unsupported in --format (only {{.Field}}, json and table): ${format}`);
  for (const m of body.matchAll(PLACEHOLDER)) {
    if (!fields.includes(m[1]!)) throw new InvalidArgumentError(`template: can't evaluate field ${m[1]} (fields: ${fields.join(', ')})`);
  }
  const render = (r: Record<string, string>): string => body.replace(PLACEHOLDER, (_, f: string) => r[f] ?? '');
  const header = isTable ? `${body.replace(PLACEHOLDER, (_, f: string) => f.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase())}\n` : '';
  return header + rows.map((r) => `${render(r)}\n`).join('');
}
