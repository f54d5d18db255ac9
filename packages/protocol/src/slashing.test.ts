import { AmountError, parseFlock, ValidationError } from "@flock/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { slash } from "./slashing.ts";

describe("slashing", () => {
  it("takes the fraction and pays the prover 10%", () => {
    // 10% of 3000 = 300; prover 30, pool 270
    expect(slash(parseFlock("3000"), 1000n)).toEqual({
      slashed: parseFlock("300"),
      toProver: parseFlock("30"),
      toPool: parseFlock("270"),
    });
    // 19 units, 100%: prover floor(1.9) = 1, pool 18
    expect(slash(19n, 10_000n)).toEqual({ slashed: 19n, toProver: 1n, toPool: 18n });
  });

  it("conserves and never takes more than the stake (property)", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 27n }),
        fc.bigInt({ min: 0n, max: 10_000n }),
        (stake, bps) => {
          const s = slash(stake, bps);
          expect(s.toProver + s.toPool).toBe(s.slashed);
          expect(s.slashed).toBeLessThanOrEqual(stake);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("rejects negative stakes and fractions above 100%", () => {
    expect(() => slash(-5n, 1000n)).toThrow(AmountError);
    expect(() => slash(5n, 10_001n)).toThrow(ValidationError);
  });
});
