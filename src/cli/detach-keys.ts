/**
 * docker's detach keys (`--detach-keys`, default ctrl-p,ctrl-q): a byte sequence on the
 * client's stdin that detaches instead of reaching the container. Bytes that start the
 * sequence are held back until it either completes or breaks, then passed on.
 */
import { InvalidArgumentError } from '../errors.js';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

const CTRL_SPECIAL: Record<string, number> = { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 };

/** As docker's term.ToBytes: comma-separated `ctrl-X` (X in a-z @ [ \ ] ^ _) or single characters. */
export function parseDetachKeys(text: string): Buffer {
  const bytes: number[] = [];
  for (const key of text.split(',')) {
    const k = key.trim();
    const ctrl = /^ctrl-(.)$/i.exec(k);
    if (ctrl) {
      const c = ctrl[1]!.toLowerCase();
      if (c >= 'a' && c <= 'z') bytes.push(c.charCodeAt(0) - 96);
      else if (c in CTRL_SPECIAL) bytes.push(CTRL_SPECIAL[c]!);
      else throw new InvalidArgumentError(`Invalid detach keys (${text}) provided`);
    } else if (k.length === 1) {
      bytes.push(k.charCodeAt(0));
    } else {
      throw new InvalidArgumentError(`Invalid detach keys (${text}) provided`);
    }
  }
  return Buffer.from(bytes);
}

/** Scans input for the sequence: returns what may pass on now, and whether the sequence completed. */
export class DetachScanner {
  private held = 0;

  constructor(private readonly keys: Buffer) {}

  push(chunk: Buffer): { pass: Buffer; detach: boolean } {
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.held]) {
        this.held++;
        if (this.held === this.keys.length) return { pass: Buffer.from(out), detach: true };
        continue;
      }
      // The sequence broke: what was held was ordinary input after all.
      out.push(...this.keys.subarray(0, this.held));
      this.held = 0;
      if (b === this.keys[0]) this.held = 1;
      else out.push(b);
    }
    return { pass: Buffer.from(out), detach: false };
  }
}
