import { describe, expect, it } from "vitest";
import { configured, flatResult, trainReply } from "../robust/testReplies.ts";
import { FedTrimmedAvg } from "./fedTrimmedAvg.ts";

const column = [-100, 1, 2, 3, 50];

describe("FedTrimmedAvg", () => {
  it("cuts int(beta · n) values from each end per coordinate and averages the rest (hand-derived)", async () => {
    const s = await configured(new FedTrimmedAvg(), [0, 0]);
    const replies = column.map((v, i) => trainReply(String(i), [v, -v], i + 1, { loss: i }));
    // beta 0.2 (Flower's default), n = 5 → 1 per end: (1 + 2 + 3) / 3 = 2 and (−1 − 2 − 3) / 3 = −2
    expect(flatResult(s.aggregateTrain(1, replies))).toEqual([2, -2]);
    // n = 4 → int(0.8) = 0: the unweighted mean of all four, (−100 + 6) / 4
    expect(flatResult(s.aggregateTrain(1, replies.slice(0, 4)))).toEqual([-23.5, 23.5]);
  });

  it("with beta 0.5 and an odd count is the median", async () => {
    const s = await configured(new FedTrimmedAvg({ beta: 0.5 }), [0]);
    const result = s.aggregateTrain(1, [trainReply("0", [9]), trainReply("1", [-4]), trainReply("2", [5])]);
    expect(flatResult(result)).toEqual([5]);
  });

  it("fails the round, with the reason, when the cut leaves nothing (Flower would return NaN)", async () => {
    const s = await configured(new FedTrimmedAvg({ beta: 0.5 }), [0]);
    expect(() => s.aggregateTrain(1, [trainReply("0", [1]), trainReply("1", [2])])).toThrowError(
      expect.objectContaining({ code: "FL_TRIM_TOO_LARGE" }),
    );
  });

  it("refuses beta outside [0, 0.5]", () => {
    expect(() => new FedTrimmedAvg({ beta: 0.6 })).toThrowError(
      expect.objectContaining({ code: "FL_OPTION_INVALID" }),
    );
    expect(() => new FedTrimmedAvg({ beta: -0.1 })).toThrowError(
      expect.objectContaining({ code: "FL_OPTION_INVALID" }),
    );
  });
});
