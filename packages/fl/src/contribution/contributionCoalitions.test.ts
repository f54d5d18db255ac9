import { describe, expect, it } from "vitest";
import { membersOf } from "./coalition.ts";
import {
  contributionCoalitionBound,
  contributionCoalitions,
  MAX_CONTRIBUTION_COALITIONS,
} from "./contributionCoalitions.ts";
import { gtgPermutations, gtgShapley } from "./gtgShapley.ts";
import { ids } from "./testing/games.ts";
import { memoizedUtility, type Utility } from "./utility.ts";

describe("the coalitions a round fixes before its vote", () => {
  it("lists every non-empty coalition up to six players", () => {
    expect(contributionCoalitions(1)).toEqual([1n]);
    expect(contributionCoalitions(3)).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n]);
    expect(contributionCoalitions(6)).toHaveLength(63);
  });

  it("above six, holds every coalition gtgShapley evaluates under the same seed, whatever the game", async () => {
    for (const seed of [1, 2, 3]) {
      const listed = new Set(contributionCoalitions(9, { seed }));
      expect(listed.size).toBeLessThan(2 ** 9 - 1);
      const asked: bigint[] = [];
      // A saturating game with noise: truncation and convergence decide what is evaluated.
      const worth = (members: readonly number[]) =>
        Math.min(
          1,
          members.reduce((s, i) => s + 0.1 + 0.03 * ((i * 7 + seed) % 5), 0),
        );
      const utility = memoizedUtility(9, worth);
      const probe: Utility = {
        players: 9,
        get evaluations() {
          return utility.evaluations;
        },
        value(c) {
          asked.push(c);
          return utility.value(c);
        },
      };
      await gtgShapley(ids(9), probe, { seed });
      for (const c of asked.filter((c) => c !== 0n)) expect(listed.has(c)).toBe(true);
      // Deterministic: the same seed, the same permutations.
      expect(gtgPermutations(9, { seed })).toEqual(gtgPermutations(9, { seed }));
      expect(membersOf(contributionCoalitions(9, { seed }).at(-1)!, 9)).toHaveLength(9);
    }
  });

  it("never lists more than its bound; ten players stay within the network's limit, eleven do not", () => {
    for (const n of [1, 4, 6, 7, 9])
      for (const seed of [1, 2]) {
        expect(contributionCoalitions(n, { seed }).length).toBeLessThanOrEqual(contributionCoalitionBound(n));
      }
    expect(contributionCoalitionBound(10)).toBeLessThanOrEqual(MAX_CONTRIBUTION_COALITIONS);
    expect(contributionCoalitionBound(11)).toBeGreaterThan(MAX_CONTRIBUTION_COALITIONS);
  });
});
