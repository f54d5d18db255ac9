import { describe, expect, it } from "vitest";
import { configured, flatResult, trainReply } from "../robust/testReplies.ts";
import { MultiKrum } from "./multiKrum.ts";

describe("MultiKrum", () => {
  it("averages the m lowest-score updates weighted by examples (hand-derived, n = 5, f = 1, m = 3)", async () => {
    // points 0, 1, 2, 3, 10 with examples 4, 1, 1, 1, 1. Scores (2 neighbours): 5, 2, 2, 5, 113.
    // Ascending, ties to the earlier reply: 1, 2, then 0 (beats 3 on the tie at 5).
    // Weighted mean (0·4 + 1·1 + 2·1) / 6 = 0.5 (a plain mean would be 1; keeping 3 instead of 0, 2).
    const weights = [4, 1, 1, 1, 1];
    const replies = [0, 1, 2, 3, 10].map((v, i) => trainReply(String(i), [v], weights[i], { loss: 10 * i }));
    const s = await configured(new MultiKrum({ numMaliciousNodes: 1, numNodesToSelect: 3 }), [0]);
    const result = s.aggregateTrain(1, replies);
    expect(flatResult(result)).toEqual([0.5]);
    expect(s.selected).toEqual(["1", "2", "0"]);
    // metrics over the kept updates only: (10·1 + 20·1 + 0·4) / 6
    expect(result.metrics?.loss).toBeCloseTo(5, 12);
  });

  it("keeps everything when m ≥ n (then it is FedAvg)", async () => {
    const s = await configured(new MultiKrum({ numNodesToSelect: 10 }), [0, 0]);
    const result = s.aggregateTrain(1, [trainReply("0", [1, 2], 1), trainReply("1", [4, 8], 3)]);
    expect(flatResult(result)).toEqual([3.25, 6.5]);
  });

  it("refuses m < 1", () => {
    expect(() => new MultiKrum({ numNodesToSelect: 0 })).toThrowError(
      expect.objectContaining({ code: "FL_OPTION_INVALID" }),
    );
  });
});
