// A spinner for work that takes over a second, only on an interactive terminal (never in pipes, CI or
// with NO_COLOR), written to stderr so stdout stays clean.
import type { Output } from './output.js';

const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export async function withSpinner<T>(out: Output, label: string | undefined, work: () => Promise<T>): Promise<T> {
  if (!label || !out.interactive || !process.stderr.isTTY) return work();
  const started = Date.now();
  let frame = 0;
  const timer = setInterval(() => {
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    process.stderr.write(`\r${frames[frame++ % frames.length]} ${label}… ${seconds} s`);
  }, 100);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    process.stderr.write('\r\u001b[K');
  }
}
