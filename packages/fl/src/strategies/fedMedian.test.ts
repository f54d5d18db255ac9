import { describe, expect, it } from "vitest";
import { configured, flatResult, trainReply } from "../robust/testReplies.ts";
import { FedMedian } from "./fedMedian.ts";

describe("FedMedian", () => {
  it("takes the unweighted coordinate-wise median of the valid updates (hand-derived)", async () => {
    const s = await configured(new FedMedian(), [0, 0]);
    const result = s.aggregateTrain(1, [
      trainReply("0", [1, 10], 100, { loss: 1 }),
      trainReply("1", [2, -5], 1, { loss: 2 }),
      trainReply("2", [7, 0], 1, { loss: 3 }),
      trainReply("3", [4, 3], 2, { loss: 4 }),
    ]);
    // [1, 2, 4, 7] → 3 and [−5, 0, 3, 10] → 1.5, whatever the numbers of examples
    expect(flatResult(result)).toEqual([3, 1.5]);
    // metrics: example-weighted over every valid update, (100·1 + 2 + 3 + 2·4) / 104
    expect(result.metrics?.loss).toBeCloseTo(113 / 104, 12);
  });

  it("shrugs off one wild update that moves the mean arbitrarily far", async () => {
    const s = await configured(new FedMedian(), [0]);
    const result = s.aggregateTrain(1, [
      trainReply("0", [1]),
      trainReply("1", [1.2]),
      trainReply("2", [0.9]),
      trainReply("3", [1e9]),
      trainReply("4", [1.1]),
    ]);
    expect(flatResult(result)![0]).toBeCloseTo(1.1, 6);
  });

  it("makes no model from a round without valid updates", async () => {
    const s = await configured(new FedMedian(), [0]);
    expect(s.aggregateTrain(1, [trainReply("0", [1, 2])])).toEqual({});
    expect(s.rejected).toHaveLength(1);
  });
});
