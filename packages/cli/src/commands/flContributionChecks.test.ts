import { contributionCoalitions, membersOf, votedContributions } from "@flock/fl";
import type { FlRound } from "@flock/sdk";
import { describe, expect, it } from "vitest";
import { flContributionChecks } from "./flContributionChecks.ts";

const A = "0x000000000000000000000000000000000000000a";
const B = "0x000000000000000000000000000000000000000b";
const seed = `0x${"3c".repeat(32)}` as const;
const players = [A, B];
const coalitions = contributionCoalitions(2, { seed: Number.parseInt(seed.slice(2, 10), 16) }).map((c) => ({
  members: membersOf(c, 2).map((i) => players[i]!),
  model: `m${c}`,
}));
const evaluations = { global: 1, m1: 0.5, m2: 0.9, m3: 0.45 };
const round = {
  seed,
  baseModel: "global",
  contributors: [A, B],
  coalitions,
  voters: [{ account: "0x00000000000000000000000000000000000000cc", stake: 7n, vote: 1, evaluations }],
} as unknown as FlRound;

describe("the audit's contribution checks", () => {
  it("pass when the report's values recompute from the published round, and fail when they do not", async () => {
    const values = await votedContributions({ seed, baseModel: "global", contributors: [A, B], coalitions }, [
      { stake: 7n, evaluations },
    ]);
    const task = (contributions: typeof values) => ({
      id: "4",
      playedRounds: [{ round: 1, proposers: [], voters: [], contributions }],
    });
    const ok = await flContributionChecks({ flTasks: [task(values)], round: async () => round });
    expect(ok.map((c) => c.ok)).toEqual([true, true]);
    const inflated = values.map((v) => (v.account === B ? { ...v, valueWad: v.valueWad + 1n } : v));
    const bad = await flContributionChecks({ flTasks: [task(inflated)], round: async () => round });
    expect(bad.map((c) => c.ok)).toEqual([true, false]);
    const stakeRule = await flContributionChecks({
      flTasks: [{ id: "5", playedRounds: [{ round: 1, proposers: [], voters: [] }] }],
      round: async () => round,
    });
    expect(stakeRule).toEqual([]);
  });
});
