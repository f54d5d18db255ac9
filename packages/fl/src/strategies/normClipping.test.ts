import { describe, expect, it } from "vitest";
import type { Reply } from "../messages.ts";
import { configured, flatResult, trainReply } from "../robust/testReplies.ts";
import type { Strategy } from "../strategy.ts";
import { FedAvg } from "./fedAvg.ts";
import { FedMedian } from "./fedMedian.ts";
import { NormClipping } from "./normClipping.ts";

describe("NormClipping", () => {
  it("clips each update's delta to C before the inner strategy averages (hand-derived)", async () => {
    // global (1, 1): node 0's delta (3, 4) has norm 5 → (0.6, 0.8); node 1's (0.3, 0.4) stays.
    // FedAvg weights 1 and 3: (1.6·1 + 1.3·3) / 4 = 1.375 and (1.8·1 + 1.4·3) / 4 = 1.5
    const s = await configured(new NormClipping(new FedAvg(), { clippingNorm: 1 }), [1, 1]);
    const result = s.aggregateTrain(1, [trainReply("0", [4, 5], 1), trainReply("1", [1.3, 1.4], 3)]);
    const [a, b] = flatResult(result)!;
    expect(a).toBeCloseTo(1.375, 6);
    expect(b).toBeCloseTo(1.5, 6);
    expect(s.clipped.map((c) => [c.nodeId, c.factor])).toEqual([
      ["0", expect.closeTo(0.2, 12)],
      ["1", 1],
    ]);
    expect(s.clipped[0]!.norm).toBeCloseTo(5, 6);
    expect(s.name).toBe("FedAvg+NormClipping");
  });

  it("bounds a scaled (boosted) update's pull on the model", async () => {
    // three honest deltas of 0.1 and one attacker boosting 1000: the clipped mean moves at most C / 4 more
    const replies: Reply[] = [0.1, 0.1, 0.1, 1000].map((v, i) => trainReply(String(i), [v]));
    const plain = flatResult((await configured(new FedAvg(), [0])).aggregateTrain(1, replies))![0]!;
    const clipped = flatResult(
      (await configured(new NormClipping(new FedAvg(), { clippingNorm: 0.5 }), [0])).aggregateTrain(
        1,
        replies,
      ),
    )![0]!;
    expect(plain).toBeGreaterThan(250);
    expect(clipped).toBeCloseTo((0.3 + 0.5) / 4, 6);
  });

  it("wraps any strategy, even a robust one, and equals it when nothing exceeds C", async () => {
    const replies = [
      [1, 2],
      [3, -1],
      [0.5, 0.5],
    ].map((v, i) => trainReply(String(i), v));
    const inner = flatResult((await configured(new FedMedian(), [0, 0])).aggregateTrain(1, replies));
    const wrapped = await configured(new NormClipping(new FedMedian(), { clippingNorm: 100 }), [0, 0]);
    expect(flatResult(wrapped.aggregateTrain(1, replies))).toEqual(inner);
  });

  it("passes malformed updates through unclipped for the inner strategy to reject", async () => {
    const s = await configured(new NormClipping(new FedAvg(), { clippingNorm: 1 }), [0, 0]);
    const result = s.aggregateTrain(1, [
      trainReply("0", [0.5, 0]),
      trainReply("1", [1, 2, 3]),
      trainReply("2", [Number.NaN, 0]),
      { nodeId: "3", kind: "train", round: 1, error: { code: "X", message: "dropped" } },
    ]);
    expect(flatResult(result)).toEqual([0.5, 0]);
    expect(s.rejected.map((r) => r.nodeId)).toEqual(["1", "2"]);
    expect(s.clipped.map((c) => c.nodeId)).toEqual(["0"]);
  });

  it("refuses a strategy that runs its own exchange, and a bad norm", () => {
    const exchanging = Object.assign(new FedAvg(), {
      trainRound: async () => ({ sent: 0, replied: 0, failed: 0 }),
    });
    expect(() => new NormClipping(exchanging as Strategy, { clippingNorm: 1 })).toThrowError(
      expect.objectContaining({ code: "FL_WRAP_UNSUPPORTED" }),
    );
    expect(() => new NormClipping(new FedAvg(), { clippingNorm: 0 })).toThrowError(
      expect.objectContaining({ code: "FL_OPTION_INVALID" }),
    );
  });

  it("refuses to aggregate before a round is configured", () => {
    expect(() => new NormClipping(new FedAvg(), { clippingNorm: 1 }).aggregateTrain(1, [])).toThrowError(
      expect.objectContaining({ code: "FL_NOT_CONFIGURED" }),
    );
  });
});
