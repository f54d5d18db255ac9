import { describe, expect, it } from "vitest";
import { leaveOneOut } from "./leaveOneOut.ts";
import { additiveGame, gloveGame, ids } from "./testing/games.ts";

describe("leave-one-out values", () => {
  it("additive game: what each player adds, from n + 2 evaluations", async () => {
    const r = await leaveOneOut(ids(4), additiveGame([1, 2, -3, 0], 10));
    r.values.forEach((v, i) => {
      expect(v).toBeCloseTo([1, 2, -3, 0][i]!, 12);
    });
    expect(r.evaluations).toBe(6);
    expect([r.grand, r.empty]).toEqual([10, 10]);
  });

  it("glove game L, L, R: the redundant left gloves get 0 (what Shapley values fix), the right glove 1", async () => {
    const r = await leaveOneOut(ids(3), gloveGame(["L", "L", "R"]));
    expect(r.values).toEqual([0, 0, 1]);
  });

  it("counts only coalitions it evaluated itself (memoized ones are free)", async () => {
    const utility = additiveGame([1, 2, 3]);
    await leaveOneOut(ids(3), utility);
    const again = await leaveOneOut(ids(3), utility);
    expect(again.evaluations).toBe(0);
    expect(utility.evaluations).toBe(5);
  });

  it("a single player: its value is v({0}) − v(∅)", async () => {
    const r = await leaveOneOut(["solo"], additiveGame([2.5], 1));
    expect(r.values).toEqual([2.5]);
    expect(r.evaluations).toBe(2);
  });
});
