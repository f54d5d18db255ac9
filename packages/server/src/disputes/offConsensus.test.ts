import { stakeWeightedMedian } from "@flock/protocol";
import { describe, expect, it } from "vitest";
import { judgeScore } from "./judgeScore.ts";
import { isOffConsensus, offConsensusScores, type ValidatorScore } from "./offConsensus.ts";

const WAD = 10n ** 18n;
const TAU = WAD / 100n; // 0.01, the epoch's default tolerance
const v = (n: number) => `0x${n.toString(16).padStart(40, "0")}`;

describe("which validators are off consensus", () => {
  it("honest validators, who report the bit-identical score, are never disputed", () => {
    for (let seed = 1; seed <= 50; seed++) {
      const score = BigInt(seed) * 12_345_678_901_234_567n;
      const scores: ValidatorScore[] = Array.from({ length: 1 + (seed % 7) }, (_, i) => ({
        validator: v(i),
        score,
        stake: BigInt(1 + ((seed * (i + 3)) % 11)) * WAD,
      }));
      const consensus = stakeWeightedMedian(scores, "lower-is-better");
      expect(consensus).toBe(score);
      expect(offConsensusScores(scores, consensus, TAU)).toEqual([]);
      expect(offConsensusScores(scores, consensus, 0n)).toEqual([]);
    }
  });

  it("one liar among honest validators is found, even with the largest single stake", () => {
    const honest = 1_234_567_890_123_456_789n;
    const scores: ValidatorScore[] = [
      { validator: v(1), score: honest, stake: 3000n * WAD },
      { validator: v(2), score: honest + WAD / 10n, stake: 4000n * WAD },
      { validator: v(3), score: honest, stake: 3000n * WAD },
    ];
    const consensus = stakeWeightedMedian(scores, "lower-is-better");
    expect(consensus).toBe(honest); // 40% of the stake cannot move a κ = 0.5 median
    expect(offConsensusScores(scores, consensus, TAU)).toEqual([
      { validator: v(2), score: honest + WAD / 10n, stake: 4000n * WAD, distance: WAD / 10n },
    ]);
  });

  it("the tolerance boundary: τ − 1 off is tolerated, τ off is disputed, both above and below", () => {
    const c = 2n * WAD;
    expect(isOffConsensus(c + TAU - 1n, c, TAU)).toBe(false);
    expect(isOffConsensus(c - TAU + 1n, c, TAU)).toBe(false);
    expect(isOffConsensus(c + TAU, c, TAU)).toBe(true);
    expect(isOffConsensus(c - TAU, c, TAU)).toBe(true);
    // τ = 0: exact agreement only.
    expect(isOffConsensus(c, c, 0n)).toBe(false);
    expect(isOffConsensus(c + 1n, c, 0n)).toBe(true);
    const scores = [
      { validator: v(1), score: c + TAU - 1n, stake: WAD },
      { validator: v(2), score: c - TAU, stake: WAD },
    ];
    expect(offConsensusScores(scores, c, TAU).map((s) => [s.validator, s.distance])).toEqual([[v(2), TAU]]);
  });
});

describe("the referee's judgement of a re-run (the re-run is the truth)", () => {
  const truth = 1_500_000_000_000_000_000n;
  const judge = (reported: bigint | null, rerunScorable = true) =>
    judgeScore({ reported, rerun: truth, rerunScorable, toleranceScore: TAU });
  it("a report off the re-run by τ or more is dishonest, whatever the consensus was", () => {
    expect(judge(truth + TAU).verdict).toBe("dishonest");
    expect(judge(truth - TAU - WAD).verdict).toBe("dishonest");
  });
  it("a report within tolerance of the re-run is never proven dishonest", () => {
    expect(judge(truth + TAU - 1n)).toEqual({
      verdict: "not-proven",
      reason: "the reported score is within tolerance of the re-run",
    });
    expect(judge(truth).verdict).toBe("not-proven");
  });
  it("a refusal of an artifact the re-run scores is dishonest; of an unscorable one, not proven", () => {
    expect(judge(null).verdict).toBe("dishonest");
    expect(judge(null, false).verdict).toBe("not-proven");
  });
});
