import { AmountError, ProtocolError } from "@flock/core";
import { minBigint } from "./fixedPoint.ts";
import { readAmount, readCount } from "./validate.ts";

/** The daily mint decays ×0.9 every 30 mints [FLock]. */
export const MINTS_PER_DECAY = 30n;
/**
 * The last decay step of the schedule. The contracts compute E0·9^e/10^e exactly in 256 bits only while
 * 10^e fits (10^77 < 2^256 < 10^78), so the schedule covers mints 0 … 2339 (about 6.4 years of daily
 * mints, by then at 0.9^77 ≈ 0.03% of E0); later mints are refused on both sides.
 */
export const MAX_DECAY_STEPS = 77n;
/** Number of mints in the whole schedule: 78 periods of 30. */
export const SCHEDULE_MINTS = (MAX_DECAY_STEPS + 1n) * MINTS_PER_DECAY;
/** FLOCK's supply cap: 1,000,000,000 tokens in base units. */
export const FLOCK_SUPPLY_CAP = 1_000_000_000n * 10n ** 18n;

/**
 * The uncapped k-th daily mint (k = 0, 1, 2, …).
 * SPEC §3: E_k = E0 · 0.9^floor(k/30); integer form shared with the contracts:
 * e = floor(k / 30), E_k = E0 · 9^e / 10^e (one floor division).
 */
export function emissionForMint(k: number | bigint, e0: bigint): bigint {
  const mint = readCount(k, "k");
  const initial = readAmount(e0, "E0");
  const e = mint / MINTS_PER_DECAY;
  if (e > MAX_DECAY_STEPS) {
    throw new ProtocolError("EMISSION_SCHEDULE_ENDED", `mint ${mint} is past the emission schedule`, {
      hint: `the schedule covers mints 0 … ${SCHEDULE_MINTS - 1n}; a network that goes on needs a new schedule`,
      details: { mint: mint.toString() },
    });
  }
  return (initial * 9n ** e) / 10n ** e;
}

/** The k-th mint under the cap: min(E_k, cap − totalSupply). */
export function cappedEmission(
  k: number | bigint,
  e0: bigint,
  totalSupply: bigint,
  cap = FLOCK_SUPPLY_CAP,
): bigint {
  const supply = readAmount(totalSupply, "totalSupply");
  const limit = readAmount(cap, "cap");
  if (supply > limit) {
    throw new AmountError("SUPPLY_ABOVE_CAP", `total supply ${supply} is above the cap ${limit}`, {
      hint: "the supply can never exceed the cap; check the snapshot",
    });
  }
  const e = emissionForMint(k, e0);
  const room = limit - supply;
  return minBigint(e, room);
}

/**
 * Total minted by the first `mints` daily mints starting from `initialSupply`:
 * Σ_{k<mints} min(E_k, cap − supply_k) = min(Σ E_k, cap − initialSupply), because each capped mint
 * fills exactly the room that is left. Summed per 30-mint period, so it is fast for long horizons; mints past
 * the end of the schedule add nothing.
 */
export function cumulativeEmission(
  mints: number | bigint,
  e0: bigint,
  initialSupply = 0n,
  cap = FLOCK_SUPPLY_CAP,
): bigint {
  const count = readCount(mints, "mints");
  const initial = readAmount(e0, "E0");
  const supply = readAmount(initialSupply, "initialSupply");
  const limit = readAmount(cap, "cap");
  if (supply > limit) {
    throw new AmountError("SUPPLY_ABOVE_CAP", `initial supply ${supply} is above the cap ${limit}`, {
      hint: "the supply can never exceed the cap; check the snapshot",
    });
  }
  const room = limit - supply;
  let total = 0n;
  let nine = 1n;
  let ten = 1n;
  const end = count < SCHEDULE_MINTS ? count : SCHEDULE_MINTS;
  for (let start = 0n; start < end && total < room; start += MINTS_PER_DECAY) {
    const perMint = (initial * nine) / ten;
    if (perMint === 0n) break;
    const inPeriod = end - start < MINTS_PER_DECAY ? end - start : MINTS_PER_DECAY;
    total += perMint * inPeriod;
    nine *= 9n;
    ten *= 10n;
  }
  return minBigint(total, room);
}
