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
  const grand = await utility.value(all);
  const empty = await utility.value(0n);
  const values: number[] = [];
  for (let i = 0; i < utility.players; i++) {
    values.push(grand - (await utility.value(all & ~(1n << BigInt(i)))));
  }
  return { players, values, evaluations: utility.evaluations - before, grand, empty };
}
