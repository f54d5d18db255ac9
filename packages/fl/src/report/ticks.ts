/**
 * "Nice" axis ticks: Heckbert, "Nice Numbers for Graph Labels", Graphics Gems, 1990 — the tick step is
 * 1, 2, 5 or 10 times a power of ten, and the range is widened to whole steps. A flat range (min = max)
 * is widened by one unit of its magnitude so a chart of a constant still has an axis.
 */
export interface Ticks {
  readonly min: number;
  readonly max: number;
  readonly step: number;
  readonly values: readonly number[];
}

/** Ticks covering [min, max] with about `count` intervals. */
export function niceTicks(min: number, max: number, count = 5): Ticks {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return niceTicks(0, 1, count);
  if (min > max) [min, max] = [max, min];
  if (min === max) {
    const pad = min === 0 ? 1 : 10 ** Math.floor(Math.log10(Math.abs(min)));
    min -= pad;
    max += pad;
  }
  const step = niceNumber(niceNumber(max - min, false) / Math.max(1, count), true);
  const lo = Math.floor(min / step) * step;
  const hi = Math.ceil(max / step) * step;
  const values: number[] = [];
  // Integer multiples of the step, so accumulated floating-point error never adds or drops a tick.
  for (let i = Math.round(lo / step); i <= Math.round(hi / step); i++) values.push(roundTo(i * step, step));
  return { min: lo, max: hi, step, values };
}

/** The nice number near x: rounded (for the step) or the one at least x (for the range). */
function niceNumber(x: number, round: boolean): number {
  const exponent = Math.floor(Math.log10(x));
  const fraction = x / 10 ** exponent;
  let nice: number;
  if (round) nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
  else nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * 10 ** exponent;
}

/** x rounded to the decimals the step has (0.1 + 0.2 prints as 0.3). */
function roundTo(x: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(x.toFixed(Math.min(12, decimals)));
}

/** A tick label: short, without trailing zeros, with an SI-free exponent form for very small or big values. */
export function formatTick(value: number): string {
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs >= 1e6 || abs < 1e-3) return value.toExponential(1);
  return String(Number(value.toPrecision(6)));
}
