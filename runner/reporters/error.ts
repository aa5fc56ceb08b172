// How an expected error reads: what went wrong, then the command that fixes it. The entry point prints
// errors that end a command; a command prints one itself when it has output to show first (a verdict).
import type { KataError } from '../core/errors.js';
import { colors as c, type Output } from './output.js';

export function printError(out: Output, error: KataError): void {
  out.error(`${c.red('kata:')} ${error.message}`);
  if (error.hint) out.error(`  ${c.dim('→')} ${c.cyan(error.hint)}`);
}

/** The error as data, for --json output. */
export function errorDetail(error: KataError) {
  return { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
}
