import { describe, expect, it } from "vitest";
import { votedContributions } from "./votedContributions.ts";

const A = "0x000000000000000000000000000000000000000a";
const B = "0x000000000000000000000000000000000000000b";
const round = {
  seed: `0x${"7f".repeat(32)}`,
  baseModel: "global",
  contributors: [B, A],
  coalitions: [
    { members: [A], model: "a" },
    { members: [B], model: "b" },
    { members: [B, A], model: "ab" },
  ],
};
const honest = { global: 1, a: 0.5, b: 0.9, ab: 0.45 };

describe("contribution values from the voters' evaluations", () => {
  it("are the Shapley values of the median game, in WAD, whatever a minority of the stake reports", async () => {
    // v(∅) = −1, v(A) = −0.5, v(B) = −0.9, v(AB) = −0.45:
    // φ_A = ½(0.5 + 0.45) = 0.475, φ_B = ½(0.1 + 0.05) = 0.075 (two players: every order is walked).
    const values = await votedContributions(round, [
      { stake: 5n, evaluations: honest },
      { stake: 4n, evaluations: { global: 1, a: 0.5, b: 0.9, ab: 0.45 } },
      { stake: 3n, evaluations: { global: 0, a: 9, b: -9, ab: 9 } },
    ]);
    expect(values).toEqual([
      { account: A, valueWad: 475n * 10n ** 15n },
      { account: B, valueWad: 75n * 10n ** 15n },
    ]);
  });

  it("refuses a reveal without a listed model and a round without a seed", async () => {
    await expect(
      votedContributions(round, [{ stake: 1n, evaluations: { global: 1, a: 0.5, b: 0.9 } }]),
    ).rejects.toMatchObject({ code: "FL_EVALUATIONS_INCOMPLETE" });
    await expect(
      votedContributions({ ...round, seed: null }, [{ stake: 1n, evaluations: honest }]),
    ).rejects.toMatchObject({ code: "SEED_MALFORMED" });
  });
});
