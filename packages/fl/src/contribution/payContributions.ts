import { type FlPayShares, flPayShares, scoreFromMetric } from "@flock/protocol";

/**
 * Pay an FL pool by contribution: each account's value (summed over rounds, in the utility's units, e.g.
 * accuracy points) becomes a WAD fixed-point value (`scoreFromMetric`, exact decimal rounding) and
 * `flPayShares` splits the pool in proportion to the positive ones, exactly in bigint (dust returned).
 */
export function payContributions(totals: ReadonlyMap<string, number>, pool: bigint): FlPayShares {
  return flPayShares(
    [...totals].map(([account, value]) => ({ account, valueWad: scoreFromMetric(value) })),
    pool,
  );
}
