import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { drawWithoutReplacement, seededUniform } from "./seededDraw.ts";
import { drawValidators } from "./validatorDraw.ts";

const acct = (n: number) => `0x${n.toString(16).padStart(40, "0")}`;
const WAD = 10n ** 18n;

describe("seeded draw", () => {
  it("a uniform draw stays below its bound", () => {
    fc.assert(
      fc.property(fc.string(), fc.bigInt({ min: 1n, max: 2n ** 300n }), (label, bound) => {
        const x = seededUniform(label, bound);
        return x >= 0n && x < bound;
      }),
    );
  });

  it("draws distinct entries, at most count, and the rest of the pool never", () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 1n, max: 10n ** 20n }), { maxLength: 10 }),
        fc.nat(12),
        (weights, count) => {
          const pool = weights.map((weight, id) => ({ id, weight }));
          const chosen = drawWithoutReplacement(pool, count, (i) => `t:${i}`);
          expect(chosen.length).toBe(Math.min(count, pool.length));
          expect(new Set(chosen.map((c) => c.id)).size).toBe(chosen.length);
          expect(pool.length).toBe(weights.length);
        },
      ),
    );
  });

  // Vectors recomputed outside TypeScript (a plain sha256 walk over the cumulative weights), so the shared
  // helper keeps the validator draw's published outputs.
  it("matches independently computed vectors", () => {
    const letters = ["a", "b", "c", "d"].map((id, i) => ({ id, weight: BigInt(i + 1) }));
    expect(drawWithoutReplacement(letters, 4, (i) => `x:${i}`).map((c) => c.id)).toEqual([
      "c",
      "d",
      "b",
      "a",
    ]);
    const candidates = [1, 2, 3, 4, 5].map((i) => ({ account: acct(i), stake: BigInt(i) * 1000n * WAD }));
    const input = { seed: "0x01", submissionId: 7, submitter: acct(9), candidates, k: 3 };
    expect(drawValidators(input)).toEqual([acct(2), acct(5), acct(3)]);
    expect(drawValidators({ ...input, k: 2, firstDraw: 3 })).toEqual([acct(2), acct(1)]);
  });
});
