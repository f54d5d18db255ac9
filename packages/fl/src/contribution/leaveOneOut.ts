import { grandCoalition } from "./coalition.ts";
import type { Utility } from "./utility.ts";
import { assertPlayers, type ContributionValues } from "./values.ts";

/**
 * Leave-one-out value: φᵢ = v(N) − v(N ∖ {i}), what the aggregate loses without player i (the baseline
 * of data valuation in Ghorbani & Zou 2019; FedML's `LeaveOneOut`). At most n + 2 evaluations (v(∅) is
 * reported too). Cheap, but two players holding the same data both get ≈ 0, which Shapley values avoid.
 */
export async function leaveOneOut(players: readonly string[], utility: Utility): Promise<ContributionValues> {
  assertPlayers(players, utility);
  const before = utility.evaluations;
  const all = grandCoalition(utility.players);
  // Every coalition is known up front: ask for them all at once (an asynchronous evaluator may run them
  // in parallel).
  const [grand, empty, ...without] = await Promise.all([
    utility.value(all),
    utility.value(0n),
    ...Array.from({ length: utility.players }, (_, i) => utility.value(all & ~(1n << BigInt(i)))),
  ]);
  const values = without.map((v) => grand! - v);
  return { players, values, evaluations: utility.evaluations - before, grand: grand!, empty: empty! };
}
