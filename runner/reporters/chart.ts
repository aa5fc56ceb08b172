// A small terminal line chart for per-epoch series (training loss, validation metric).
const blocks = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/** Downsamples to `width` points and draws one row of block characters, with first/last values. */
export function sparkline(values: number[], width = 40): string {
  if (!values.length) return '';
  const step = Math.max(1, values.length / width);
  const points: number[] = [];
  for (let i = 0; i < values.length && points.length < width; i += step) points.push(values[Math.floor(i)]);
  const min = Math.min(...points);
  const max = Math.max(...points);
  const span = max - min || 1;
  return points.map((v) => blocks[Math.min(blocks.length - 1, Math.floor(((v - min) / span) * blocks.length))]).join('');
}

/** Four significant digits, no trailing zeros: 0.9, 0.435, 1.055, 4207. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(4)));
}
