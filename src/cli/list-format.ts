/**
 * docker's `--format` for listing commands: `json` (one object per line), `table` (the
 * command's default columns), `table TEMPLATE` (a header row, then columns aligned as
 * docker's tabwriter aligns them) or a bare TEMPLATE (one line per row, tabs kept as tabs).
 */
import { GoTemplate } from './go-template/index.js';

export interface ListFormat {
  /** The command's default, as docker's: `table {{.ID}}\t…`. */
  defaultTable: string;
  /** Header of each field a template may name (docker's header context); others are upper-cased. */
  headers: Readonly<Record<string, string>>;
}

/** Go's text/tabwriter as docker configures it (minwidth 10, padding 3): tab-terminated cells become aligned columns. */
export function tabwrite(text: string, minWidth = 10, padding = 3): string {
  const lines = text.split('\n').map((l) => l.split('\t'));
  // Widths in characters, as Go counts runes; ASCII (the common case) needs no split.
  const cellWidths = lines.map((cells) => cells.map((c) => (/[^\x20-\x7e]/.test(c) ? [...c].length : c.length)));
  const widths: number[][] = lines.map((cells) => new Array<number>(Math.max(0, cells.length - 1)).fill(0));
  const maxCols = lines.reduce((m, c) => Math.max(m, c.length - 1), 0);
  for (let col = 0; col < maxCols; col++) {
    // A column's width holds over a block of consecutive lines that have a cell there, as in Go.
    let start = 0;
    while (start < lines.length) {
      if (lines[start]!.length - 1 <= col) {
        start++;
        continue;
      }
      let end = start;
      let w = 0;
      while (end < lines.length && lines[end]!.length - 1 > col) w = Math.max(w, cellWidths[end++]![col]!);
      const cellWidth = Math.max(w + padding, minWidth);
      for (let i = start; i < end; i++) widths[i]![col] = cellWidth;
      start = end;
    }
  }
  return lines
    .map((cells, i) => cells.map((c, col) => (col < cells.length - 1 ? c + ' '.repeat(widths[i]![col]! - cellWidths[i]![col]!) : c)).join(''))
    .join('\n');
}

/** docker's header for a field not in the command's list: the name, upper-cased. */
function headerContext(headers: Readonly<Record<string, string>>): Record<string, unknown> {
  return new Proxy(
    {},
    {
      has: () => true,
      getOwnPropertyDescriptor: (_t, key) => ({ configurable: true, enumerable: true, writable: false, value: header(key) }),
      get: (_t, key) => header(key),
    },
  );
  function header(key: string | symbol): unknown {
    if (typeof key === 'symbol') return undefined;
    // A function, so methods given arguments (`.Label "k"`) print their header too.
    return () => headers[key] ?? key.toUpperCase();
  }
}

/** Renders rows (goStruct objects, so unknown fields are errors) in the format asked for. */
export function renderList(format: string, rows: readonly object[], spec: ListFormat): string {
  if (format === 'json') return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  const chosen = format === '' || format === 'table' ? spec.defaultTable : format;
  const isTable = chosen.startsWith('table');
  const tmpl = GoTemplate.parse(isTable ? chosen.slice('table'.length).replace(/^\s+/, '') : chosen);
  const body = rows.map((r) => `${tmpl.execute(r)}\n`).join('');
  if (!isTable) return body;
  let head: string;
  try {
    head = `${tmpl.execute(headerContext(spec.headers))}\n`;
  } catch {
    // docker prints no header for a template its header context cannot fill (a range over a list, say).
    head = '';
  }
  return tabwrite(head + body);
}
