import { describe, expect, it } from "vitest";
import { configured, flatResult, trainReply } from "../robust/testReplies.ts";
import { Bulyan } from "./bulyan.ts";

const repliesOf = (values: readonly number[]) =>
  values.map((v, i) => trainReply(String(i), [v], i + 1, { loss: v }));

describe("Bulyan", () => {
  it("selects θ = n − 2f by Krum, then averages the β = θ − 2f nearest the median (hand-derived)", async () => {
    // n = 7, f = 1 → θ = 5, β = 3. Krum scores (4 neighbours) of 0, 1, 2, 3, 4, 20, −30:
    // 30, 15, 10, 15, 30, 1230, 3974 → selected 2, 1, 3, 0, 4 (the attackers 20 and −30 out).
    // Median of {2, 1, 3, 0, 4} is 2; nearest three are 2, 1, 3 → mean 2.
    const s = await configured(new Bulyan({ numMaliciousNodes: 1 }), [0]);
    const result = s.aggregateTrain(1, repliesOf([0, 1, 2, 3, 4, 20, -30]));
    expect(flatResult(result)).toEqual([2]);
    expect(s.selected).toEqual(["2", "1", "3", "0", "4"]);
    // metrics over the θ selected: Σ (i + 1)·v / Σ (i + 1) over i = 0…4 → (0 + 2 + 6 + 12 + 20) / 15
    expect(result.metrics?.loss).toBeCloseTo(40 / 15, 12);
  });

  it("one-pass (Flower's Bulyan) and recursive (the paper's, Flower's legacy) selections can differ", async () => {
    // 3, 5, 0, 9, 2, 1, 10 with f = 1. One pass (4 neighbours) scores 18, 45, 39, 102, 15, 22, 139 →
    // θ = 5 lowest: 2, 3, 1, 0, 5 (indices 4, 0, 5, 2, 1); median 2; nearest three 2, 3, 1 → 2.
    // Recursive: 2 (score 15); then over the rest (3 neighbours) 3 (17); then (2 neighbours) 9 and 1 tie at
    // 17 → 9, the earlier; then (1 neighbour) 0 and 1 tie at 1 → 0; then 5 and 1 tie at 16 → 5.
    // Selected 2, 3, 9, 0, 5: median 3; gaps 1, 0, 6, 3, 2 → 3, 2, 5 → 10 / 3.
    const values = [3, 5, 0, 9, 2, 1, 10];
    const onePass = await configured(new Bulyan({ numMaliciousNodes: 1 }), [0]);
    expect(flatResult(onePass.aggregateTrain(1, repliesOf(values)))).toEqual([2]);
    expect(onePass.selected).toEqual(["4", "0", "5", "2", "1"]);
    const recursive = await configured(
      new Bulyan({ numMaliciousNodes: 1, selection: "recursive-krum" }),
      [0],
    );
    expect(flatResult(recursive.aggregateTrain(1, repliesOf(values)))![0]).toBeCloseTo(10 / 3, 6);
    expect(recursive.selected).toEqual(["4", "0", "3", "2", "1"]);
  });

  it("works coordinate by coordinate", async () => {
    // f = 0, n = 3: θ = β = 3, so every coordinate is the plain unweighted mean of the three
    const s = await configured(new Bulyan(), [0, 0]);
    const result = s.aggregateTrain(1, [
      trainReply("0", [1, 9], 5),
      trainReply("1", [2, 0], 1),
      trainReply("2", [6, 3], 1),
    ]);
    expect(flatResult(result)).toEqual([3, 4]);
  });

  it("skips a round with fewer than 4f + 3 valid updates, saying why", async () => {
    const s = await configured(new Bulyan({ numMaliciousNodes: 1 }), [0]);
    expect(s.aggregateTrain(1, repliesOf([0, 1, 2, 3, 4, 5]))).toEqual({});
    expect(s.skipped).toMatch(/4f \+ 3 = 7 .* got 6/);
    expect(s.aggregateTrain(1, repliesOf([0, 1, 2, 3, 4, 5, 6])).arrays).toBeDefined();
    expect(s.skipped).toBeUndefined();
  });

  it("refuses an unknown selection rule", () => {
    expect(() => new Bulyan({ selection: "geomed" as "multi-krum" })).toThrowError(
      expect.objectContaining({ code: "FL_OPTION_INVALID" }),
    );
  });
});
