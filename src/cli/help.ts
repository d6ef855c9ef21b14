/**
 * `--help` text laid out as docker's cobra templates and pflag's FlagUsagesWrapped lay it out,
 * so that a user (or a script diffing help) sees the same shape from berth as from docker.
 */
import { goQuote, type FlagSpec } from './flags.js';

export interface CommandHelp {
  /** `berth run` */
  readonly path: string;
  /** What follows the path on the Usage line: `[OPTIONS] IMAGE [COMMAND] [ARG...]`. */
  readonly usage: string;
  readonly description: string;
  /** Full alternative invocations, as docker lists them: `berth container run`. */
  readonly aliases?: readonly string[];
  readonly flags: readonly FlagSpec[];
}

export interface CommandSummary {
  readonly name: string;
  readonly description: string;
}

export interface RootHelp {
  /** `berth` */
  readonly path: string;
  readonly description: string;
  readonly commands: readonly CommandSummary[];
  readonly globalFlags: readonly FlagSpec[];
}

export interface HelpLayout {
  /** Terminal width; docker assumes 80 when stdout is no terminal. Descriptions wrap one column short of it. */
  readonly columns?: number;
}

const DEFAULT_COLUMNS = 80;
// cobra pads command names to at least this many columns.
const MIN_NAME_PADDING = 11;

export function renderCommandHelp(command: CommandHelp, layout: HelpLayout = {}): string {
  const sections = [
    `Usage:  ${[command.path, command.usage].filter((s) => s !== '').join(' ')}`,
    command.description.trim(),
  ];
  if (command.aliases !== undefined && command.aliases.length > 0) sections.push(`Aliases:\n  ${command.aliases.join(', ')}`);
  const options = renderFlagUsages(command.flags, layout);
  if (options !== '') sections.push(`Options:\n${options}`);
  return `${sections.join('\n\n')}\n`;
}

export function renderRootHelp(root: RootHelp, layout: HelpLayout = {}): string {
  const options = renderFlagUsages(root.globalFlags, layout);
  const sections = [`Usage:  ${root.path}${options === '' ? '' : ' [OPTIONS]'} COMMAND`, root.description.trim()];
  if (root.commands.length > 0) {
    const width = Math.max(MIN_NAME_PADDING, ...root.commands.map((c) => c.name.length)) + 1;
    const lines = root.commands.map((c) => `  ${`${c.name} `.padEnd(width)}${c.description}`);
    sections.push(`Commands:\n${lines.join('\n')}`);
  }
  if (options !== '') sections.push(`Global Options:\n${options}`);
  sections.push(`Run '${root.path} COMMAND --help' for more information on a command.`);
  return `${sections.join('\n\n')}\n`;
}

/**
 * pflag's FlagUsagesWrapped(columns - 1): visible flags sorted by name, descriptions aligned
 * in one column three spaces after the longest `-x, --name type`, defaults appended when not
 * the type's zero value, and long descriptions wrapped at word boundaries. No trailing newline.
 */
export function renderFlagUsages(flags: readonly FlagSpec[], layout: HelpLayout = {}): string {
  const cols = (layout.columns ?? DEFAULT_COLUMNS) - 1;
  const visible = flags.filter((f) => f.hidden !== true).sort((a, b) => (a.long < b.long ? -1 : a.long > b.long ? 1 : 0));
  const heads = visible.map((f) => {
    const name = f.short === undefined ? `      --${f.long}` : `  -${f.short}, --${f.long}`;
    const valueName = f.valueName ?? TYPE_NAMES[f.type];
    return valueName === '' ? name : `${name} ${valueName}`;
  });
  // pflag's maxlen counts a separator character after the head; the description column is maxlen + 2.
  const maxlen = Math.max(0, ...heads.map((h) => h.length + 1));
  const lines = visible.map((f, i) => {
    const head = heads[i] ?? '';
    const usage = `${f.description}${defaultSuffix(f)}`;
    return `${head} ${' '.repeat(maxlen - head.length)} ${wrap(maxlen + 2, cols, usage)}`;
  });
  return lines.join('\n').trimEnd();
}

const TYPE_NAMES: Readonly<Record<FlagSpec['type'], string>> = {
  bool: '',
  string: 'string',
  stringArray: 'stringArray',
  int: 'int',
  number: 'float',
};

function defaultSuffix(flag: FlagSpec): string {
  switch (flag.type) {
    case 'bool':
      return flag.default === true ? ' (default true)' : '';
    case 'string':
      return flag.default === undefined || flag.default === '' ? '' : ` (default ${goQuote(flag.default)})`;
    case 'stringArray':
      return flag.default === undefined || flag.default.length === 0 ? '' : ` (default [${flag.default.join(',')}])`;
    case 'int':
      return flag.default === undefined || flag.default === 0 ? '' : ` (default ${flag.default})`;
    case 'number':
      return flag.default === undefined || flag.default === 0 ? '' : ` (default ${formatGoFloat(flag.default)})`;
  }
}

/** Go's strconv.FormatFloat(f, 'g', -1, 64), which pflag shows float defaults with: 1e+06, 1.5, 0.0001. */
function formatGoFloat(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? '+Inf' : '-Inf';
  const [mantissa = '', exp = '0'] = n.toExponential().split('e');
  const exponent = Number(exp);
  if (exponent < -4 || exponent >= 6) {
    return `${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return String(n);
}

const SLOP = 5;
const MIN_WRAP = 24;
const FALLBACK_INDENT = 16;

/** pflag's wrap: text for column `indent` of a `width`-column screen (0: never wrap). */
function wrap(indent: number, width: number, text: string): string {
  if (width <= 0) return text.replaceAll('\n', `\n${' '.repeat(indent)}`);
  let room = width - indent;
  let out = '';
  // Too narrow beside the flag names: start the description on its own line instead.
  if (room < MIN_WRAP) {
    indent = FALLBACK_INDENT;
    room = width - indent;
    out += `\n${' '.repeat(indent)}`;
  }
  if (room < MIN_WRAP) return text.replaceAll('\n', out);
  // Lines may run SLOP past the limit to avoid a short orphan word on the last line.
  room -= SLOP;
  const pad = `\n${' '.repeat(indent)}`;
  let [line, rest] = wrapN(room, text);
  out += line.replaceAll('\n', pad);
  while (rest !== '') {
    [line, rest] = wrapN(room, rest);
    out += pad + line.replaceAll('\n', pad);
  }
  return out;
}

function wrapN(limit: number, text: string): [string, string] {
  if (limit + SLOP > text.length) return [text, ''];
  const head = text.slice(0, limit);
  const space = Math.max(head.lastIndexOf(' '), head.lastIndexOf('\t'), head.lastIndexOf('\n'));
  if (space <= 0) return [text, ''];
  const newline = head.lastIndexOf('\n');
  if (newline > 0 && newline < space) return [text.slice(0, newline), text.slice(newline + 1)];
  return [text.slice(0, space), text.slice(space + 1)];
}
