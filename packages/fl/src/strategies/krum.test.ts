import { describe, expect, it } from "vitest";
import { configured, flatResult, trainReply } from "../robust/testReplies.ts";
import { Krum } from "./krum.ts";

/** 1-d updates 0, 1, 2, 3, 10 from nodes "a"…"e". */
const replies = [0, 1, 2, 3, 10].map((v, i) => trainReply("abcde"[i]!, [v], 10 - i, { loss: v }));

describe("Krum", () => {
  it("returns the update of lowest score, unchanged (hand-derived, n = 5, f = 1)", async () => {
    // max(1, 5 − 1 − 2) = 2 neighbours: scores 0 → 1 + 4 = 5; 1 → 1 + 1 = 2; 2 → 2; 3 → 5; 10 → 113.
    // 1 and 2 tie at 2: the earlier reply (node "b", value 1) wins, as Flower's argsort / argmin.
    const s = await configured(new Krum({ numMaliciousNodes: 1 }), [0]);
    const result = s.aggregateTrain(1, replies);
    expect(flatResult(result)).toEqual([1]);
    expect(s.selected).toEqual(["b"]);
    expect(result.metrics).toEqual({ loss: 1 });
  });

  it("breaks a score tie by reply order (the documented exception to order independence)", async () => {
    const s = await configured(new Krum({ numMaliciousNodes: 1 }), [0]);
    const swapped = [replies[2]!, replies[1]!, replies[0]!, replies[3]!, replies[4]!];
    expect(flatResult(s.aggregateTrain(1, swapped))).toEqual([2]);
  });

  it("with f = 0 (Flower's default) counts n − 2 neighbours", async () => {
    // 3 neighbours: 0 → 1 + 4 + 9 = 14; 1 → 1 + 1 + 4 = 6; 2 → 1 + 1 + 4 = 6; 3 → 1 + 4 + 9 = 14; 10 → 49 + 64 + 81
    const s = await configured(new Krum(), [0]);
    expect(flatResult(s.aggregateTrain(1, replies))).toEqual([1]);
  });

  it("keeps a single update and refuses a negative f", async () => {
    const s = await configured(new Krum({ numMaliciousNodes: 3 }), [0]);
    expect(flatResult(s.aggregateTrain(1, [replies[4]!]))).toEqual([10]);
    expect(() => new Krum({ numMaliciousNodes: -1 })).toThrowError(
      expect.objectContaining({ code: "FL_OPTION_INVALID" }),
    );
  });
});
