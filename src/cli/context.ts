/** What every command gets: the Engine and where to print. */
import type { Engine } from '../engine.js';

export interface CommandContext {
  engine: Engine;
  out(text: string): void;
  err(text: string): void;
}
