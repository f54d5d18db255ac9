import { BPS, WAD } from "@flock/core";
import { readAmount, readCount } from "./validate.ts";

/** Lock durations are clamped to [30, 365] days before the bonus is applied [FLock gmFlockExchange]. */
export const GM_MIN_DAYS = 30n;
export const GM_MAX_DAYS = 365n;
/** The redemption fee at unlock, 5% [seeds], in basis points. */
export const REDEMPTION_FEE_BPS = 500n;

function clampDays(days: unknown): bigint {
  const d = readCount(days, "days");
  if (d < GM_MIN_DAYS) return GM_MIN_DAYS;
  if (d > GM_MAX_DAYS) return GM_MAX_DAYS;
  return d;
}

/**
 * gmFLOCK received for locking `amount` FLOCK for `days` whole days.
 * SPEC §3: m = n · (1 + 2.19 · (clamp(d, 30, 365) − 30) / 365)
 * Integer form shared with the contracts: gm = n + n · 219 · (dc − 30) / 36500 (floor).
 * @example gmForLock(parseFlock("100"), 365) // 301 FLOCK worth of gmFLOCK
 */
export function gmForLock(amount: bigint, days: number | bigint): bigint {
  const n = readAmount(amount, "amount");
  const dc = clampDays(days);
  return n + (n * 219n * (dc - GM_MIN_DAYS)) / 36_500n;
}

/** The gmFLOCK multiplier for a lock of `days` days, in WAD (1e18 = 1.0×; 3.01e18 at 365 days). */
export function gmMultiplierWad(days: number | bigint): bigint {
  return gmForLock(WAD, days);
}

/** What unlocking returns: FLOCK back to the holder and the 5% fee to the treasury. */
export interface Redemption {
  returned: bigint;
  fee: bigint;
}

/**
 * Redeem `amount` at unlock. fee = n · 500 / 10000 (floor), returned = n − fee, so returned + fee == n.
 */
export function redemption(amount: bigint): Redemption {
  const n = readAmount(amount, "amount");
  const fee = (n * REDEMPTION_FEE_BPS) / BPS;
  return { returned: n - fee, fee };
}
