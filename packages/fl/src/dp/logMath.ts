/**
 * Log-space arithmetic and the log of the complementary error function, for the RDP accountant: its sums
 * of terms like q^i·e^{i²/2σ²} overflow a double long before the result does.
 */

/** log(eˣ + eʸ), exact when one side is −∞ (adding zero). */
export function logAdd(x: number, y: number): number {
  const a = Math.min(x, y);
  const b = Math.max(x, y);
  if (a === Number.NEGATIVE_INFINITY) return b;
  return Math.log1p(Math.exp(a - b)) + b;
}

/**
 * log(eˣ − eʸ) for x ≥ y; −∞ when they are equal (zero). As Opacus's `_log_sub`, a difference too large
 * for expm1 returns x. Throws a RangeError when y > x (a negative result has no log).
 */
export function logSub(x: number, y: number): number {
  if (x < y) throw new RangeError(`logSub: the result of e^${x} − e^${y} would be negative`);
  if (y === Number.NEGATIVE_INFINITY) return x;
  if (x === y) return Number.NEGATIVE_INFINITY;
  const d = Math.expm1(x - y);
  if (!Number.isFinite(d)) return x;
  return Math.log(d) + y;
}

const SQRT_PI = Math.sqrt(Math.PI);
const LOG_SQRT_PI = 0.5 * Math.log(Math.PI);

/** erf(x) by its Maclaurin series, 2/√π·Σ (−1)ⁿ x^{2n+1} / (n!(2n+1)); accurate to ~1e-15 for |x| ≤ 2. */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x; // (−1)ⁿ x^{2n+1} / n!
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= -x2 / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / SQRT_PI) * sum;
}

/**
 * log of the continued fraction K(x) = 1/(x + ½/(x + 1/(x + 3/2/(x + …)))), with erfc(x) = e^{−x²}/√π·K(x)
 * (Abramowitz & Stegun 7.1.14), by the modified Lentz method. Used for x ≥ 2, where it converges fast.
 */
function logErfcContinuedFraction(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 5000; k++) {
    const a = k / 2;
    d = x + a * d;
    d = d === 0 ? 1 / tiny : 1 / d;
    c = x + a / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return -x * x - LOG_SQRT_PI - Math.log(f);
}

/**
 * log(erfc(x)), accurate for every finite x, including x far in the tail where erfc(x) underflows a double
 * (what Opacus's `_log_erfc` gets from SciPy's `log_ndtr`): the series for erf below 2, the continued
 * fraction above, and erfc(x) = 2 − erfc(−x) for negative x.
 */
export function logErfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x === Number.POSITIVE_INFINITY) return Number.NEGATIVE_INFINITY;
  if (x === Number.NEGATIVE_INFINITY) return Math.LN2;
  if (x < 0) {
    if (x <= -2) return Math.log(2 - Math.exp(logErfcContinuedFraction(-x)));
    return Math.log1p(erfSeries(-x));
  }
  if (x < 2) return Math.log1p(-erfSeries(x));
  return logErfcContinuedFraction(x);
}
