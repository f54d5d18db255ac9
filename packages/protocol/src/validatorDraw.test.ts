import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isqrt } from "./fixedPoint.ts";
import { drawValidators } from "./validatorDraw.ts";

const acct = (n: number) => `0x${n.toString(16).padStart(40, "0")}`;
const WAD = 10n ** 18n;

describe("drawValidators", () => {
  it("isqrt is the floor square root", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 200n }), (n) => {
        const r = isqrt(n);
        return r * r <= n && (r + 1n) * (r + 1n) > n;
      }),
    );
  });

  it("never assigns the submitter, never twice, and at most k", () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 1n, max: 10n ** 24n }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        (stakes, submitterIndex, k, submissionId) => {
          const candidates = stakes.map((stake, i) => ({ account: acct(i + 1), stake }));
          const submitter = acct((submitterIndex % stakes.length) + 1);
          const chosen = drawValidators({ seed: "0xabc", submissionId, submitter, candidates, k });
          expect(chosen).not.toContain(submitter);
          expect(new Set(chosen).size).toBe(chosen.length);
          expect(chosen.length).toBe(Math.min(k, stakes.length - 1));
        },
      ),
    );
  });

  it("is deterministic in the seed and independent of candidate order", () => {
    const candidates = [1, 2, 3, 4, 5].map((i) => ({ account: acct(i), stake: BigInt(i) * 1000n * WAD }));
    const input = { seed: "0x01", submissionId: 7, submitter: acct(9), candidates, k: 3 };
    const a = drawValidators(input);
    expect(drawValidators({ ...input, candidates: [...candidates].reverse() })).toEqual(a);
    const others = [2, 3, 4, 5, 6].map((n) => drawValidators({ ...input, seed: `0x0${n}` }).join());
    expect(new Set([a.join(), ...others]).size).toBeGreaterThan(1);
  });

  it("draws single validators with frequency ∝ √stake (diminishing returns)", () => {
    // Stakes 1 : 4 : 16 → weights 1 : 2 : 4.
    const candidates = [1n, 4n, 16n].map((s, i) => ({ account: acct(i + 1), stake: s * 1000n * WAD }));
    const counts = new Map<string, number>();
    const draws = 14_000;
    for (let id = 1; id <= draws; id++) {
      const [chosen] = drawValidators({
        seed: "0xfeed",
        submissionId: id,
        submitter: acct(99),
        candidates,
        k: 1,
      });
      counts.set(chosen!, (counts.get(chosen!) ?? 0) + 1);
    }
    const expected = [1 / 7, 2 / 7, 4 / 7];
    expected.forEach((p, i) => {
      const observed = (counts.get(acct(i + 1)) ?? 0) / draws;
      // 5 standard deviations of a binomial proportion at n = 14,000 is below 0.021.
      expect(Math.abs(observed - p)).toBeLessThan(0.021);
    });
  });

  it("a re-assignment excludes earlier validators and still never the submitter", () => {
    const candidates = [1, 2, 3, 4].map((i) => ({ account: acct(i), stake: 5000n * WAD }));
    const first = drawValidators({ seed: "0x02", submissionId: 3, submitter: acct(1), candidates, k: 2 });
    const again = drawValidators({
      seed: "0x02",
      submissionId: 3,
      submitter: acct(1),
      candidates,
      k: 1,
      exclude: first,
      firstDraw: 2,
    });
    expect(again).toHaveLength(1);
    expect([...first, acct(1)]).not.toContain(again[0]);
    expect(
      drawValidators({
        seed: "0x02",
        submissionId: 3,
        submitter: acct(1),
        candidates,
        k: 1,
        exclude: [...first, ...again],
      }),
    ).toEqual([]);
  });

  it("recomputes a published draw: a known-answer vector (block-hash seed, stakes 1 : 4 : 9 : 16 : 25)", () => {
    // Pinned so that any change of the draw (hash input, ordering, weights) shows as a failure: a change here
    // would make every earlier assignment unverifiable.
    const candidates = [1, 2, 3, 4, 5].map((i) => ({ account: acct(i), stake: BigInt(i * i) * 1000n * WAD }));
    const seed = `0x${"ab".repeat(32)}`;
    const drawn = [1, 2, 3].map((submissionId) =>
      drawValidators({ seed, submissionId, submitter: acct(1), candidates, k: 3 }),
    );
    expect(drawn).toEqual([
      [acct(5), acct(3), acct(4)],
      [acct(5), acct(4), acct(3)],
      [acct(5), acct(4), acct(3)],
    ]);
  });
});
