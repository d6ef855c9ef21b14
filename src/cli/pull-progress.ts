/**
 * Pull progress as docker's client prints it: on a terminal, one line per layer rewritten
 * in place (status, and a bar with sizes while downloading); elsewhere, plain lines for
 * each status change, without the download ticks.
 */
import type { PullEvent } from '../image/pull.js';
import { humanSize } from './format.js';

const BAR_WIDTH = 50;

function bar(current: number, total: number): string {
  if (total <= 0) return humanSize(current);
  const filled = Math.min(BAR_WIDTH, Math.floor((current / total) * BAR_WIDTH));
  const arrow = filled < BAR_WIDTH ? '>' : '';
  const body = `${'='.repeat(Math.max(0, filled - (arrow ? 1 : 0)))}${arrow}`.padEnd(BAR_WIDTH, ' ');
  return `[${body}]  ${humanSize(current)}/${humanSize(total)}`;
}

export interface PullPrinter {
  (event: PullEvent | { kind: 'missing'; reference: string }): void;
}

/** write receives text to print; terminal chooses the in-place rendering; quiet prints only the final reference. */
export function pullPrinter(write: (text: string) => void, opts: { terminal: boolean; quiet?: boolean }): PullPrinter {
  const order: string[] = [];
  const lines = new Map<string, string>();
  const lastStatus = new Map<string, string>();
  return (event) => {
    if (event.kind === 'missing') {
      write(`Unable to find image '${event.reference}' locally\n`);
      return;
    }
    if (opts.quiet) {
      if (event.kind === 'done') write(`${event.reference}\n`);
      return;
    }
    if (event.kind === 'start') {
      write(`${event.text}\n`);
      return;
    }
    if (event.kind === 'done') {
      write(`Digest: ${event.digest}\nStatus: ${event.status}\n${event.reference}\n`);
      return;
    }
    const text =
      event.status === 'Downloading' && event.current !== undefined ? `${event.status} ${bar(event.current, event.total ?? 0)}` : event.status;
    if (!opts.terminal) {
      // Plain output: status changes only, as docker prints to a pipe.
      if (lastStatus.get(event.id) === event.status) return;
      lastStatus.set(event.id, event.status);
      write(`${event.id}: ${event.status}\n`);
      return;
    }
    if (!lines.has(event.id)) {
      order.push(event.id);
      lines.set(event.id, text);
      write(`${event.id}: ${text}\n`);
      return;
    }
    lines.set(event.id, text);
    const up = order.length - order.indexOf(event.id);
    // Up to the layer's line, rewrite it, and back down below the last one.
    write(`\x1b[${up}A\r\x1b[2K${event.id}: ${text}\r\x1b[${up}B`);
  };
}
