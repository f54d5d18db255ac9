import { distributeProRata } from "./proRata.ts";
import { assertUnique, normalizeAccount, readAmount, readSignedInteger } from "./validate.ts";

/** A participant's contribution value over a task's rounds, in WAD (1e18 = one unit of the metric). */
export interface FlContribution {
  account: string;
  valueWad: bigint;
}

/** The pay of each participant (input order, accounts lowercased) and the pool's undistributed dust. */
export interface FlPayShares {
  shares: { account: `0x${string}`; amount: bigint }[];
  /** pool − Σ amounts: the floor remainder, or the whole pool when no value is positive. */
  dust: bigint;
}

/**
 * Split an FL pool by contribution value (issue 11 item 5: GTG-Shapley or leave-one-out values from
 * @flock/fl): a participant whose value is zero or negative gets nothing; the others are paid
 *   amount_i = floor(pool · v_i / Σ_{v_j > 0} v_j)
 * and dust = pool − Σ amount_i goes to the caller's named line (the treasury), so Σ amounts + dust = pool
 * exactly. Each amount depends only on its own value and the positive sum: input order never matters.
 */
export function flPayShares(values: readonly FlContribution[], pool: bigint): FlPayShares {
  const total = readAmount(pool, "pool");
  const entries = values.map((v, i) => ({
    account: normalizeAccount(v.account, `values[${i}].account`),
    valueWad: readSignedInteger(v.valueWad, `values[${i}].valueWad`),
  }));
  assertUnique(
    entries.map((e) => e.account),
    "FL contributor",
  );
  const split = distributeProRata(
    total,
    entries.map((e) => (e.valueWad > 0n ? e.valueWad : 0n)),
  );
  return {
    shares: entries.map((e, i) => ({ account: e.account, amount: split.amounts[i]! })),
    dust: split.dust,
  };
}
