// Where commands write. Human text goes through here so that `--json` commands can keep stdout pure
// JSON, and so that colour follows NO_COLOR and non-TTY output (picocolors reads both).
import pc from 'picocolors';

/**
 * Colour only for a terminal: NO_COLOR turns it off, FORCE_COLOR on. (picocolors alone would also colour
 * piped output whenever CI is set.)
 */
export function colorEnabled(env: NodeJS.ProcessEnv = process.env, isTTY = Boolean(process.stdout.isTTY)): boolean {
  if ('NO_COLOR' in env && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0';
  return isTTY;
}

export const colors = pc.createColors(colorEnabled());

export interface Output {
  /** A line for the person reading (stdout). */
  line(text?: string): void;
  /** A warning or error line (stderr). */
  error(text: string): void;
  /** One JSON document on stdout. */
  json(value: unknown): void;
  /** True when stdout is a terminal that can take spinners and redraws. */
  interactive: boolean;
}

export const processOutput: Output = {
  line: (text = '') => process.stdout.write(`${text}\n`),
  error: (text) => process.stderr.write(`${text}\n`),
  json: (value) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
  interactive: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && !process.env.CI,
};
