import { NotFoundError, parseFlock } from "@flock/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildRewardTree, EMPTY_ROOT, rewardProof, verifyRewardProof } from "./rewardTree.ts";

const a = (n: number): string => `0x${n.toString(16).padStart(40, "0")}`;

describe("reward Merkle tree", () => {
  const leaves = [
    { account: a(1), amount: parseFlock("12.5") },
    { account: a(2), amount: parseFlock("3") },
    { account: a(3), amount: 7n },
    { account: a(4), amount: 0n },
  ];

  it("every account's proof verifies against the root", () => {
    const tree = buildRewardTree(3n, leaves);
    expect(tree.root).toMatch(/^0x[0-9a-f]{64}$/);
    expect(tree.leaves).toHaveLength(3); // zero amounts get no leaf
    for (const leaf of leaves.slice(0, 3)) {
      const { amount, proof } = rewardProof(tree, leaf.account);
      expect(amount).toBe(leaf.amount);
      expect(verifyRewardProof({ root: tree.root, epoch: 3n, account: leaf.account, amount, proof })).toBe(
        true,
      );
    }
  });

  it("a tampered amount, epoch or account fails verification", () => {
    const tree = buildRewardTree(3n, leaves);
    const { amount, proof } = rewardProof(tree, a(1));
    expect(verifyRewardProof({ root: tree.root, epoch: 3n, account: a(1), amount: amount + 1n, proof })).toBe(
      false,
    );
    expect(verifyRewardProof({ root: tree.root, epoch: 4n, account: a(1), amount, proof })).toBe(false);
    expect(verifyRewardProof({ root: tree.root, epoch: 3n, account: a(2), amount, proof })).toBe(false);
  });

  it("the root does not depend on leaf order and accounts are case-normalized", () => {
    const forward = buildRewardTree(3n, leaves);
    const shuffled = buildRewardTree(
      3n,
      [...leaves].reverse().map((l) => ({ ...l, account: l.account.toUpperCase().replace("0X", "0x") })),
    );
    expect(shuffled.root).toBe(forward.root);
  });

  it("an empty tree has the zero root and nothing verifies against it", () => {
    const tree = buildRewardTree(1n, [{ account: a(1), amount: 0n }]);
    expect(tree.root).toBe(EMPTY_ROOT);
    expect(() => rewardProof(tree, a(1))).toThrow(NotFoundError);
    expect(verifyRewardProof({ root: EMPTY_ROOT, epoch: 1n, account: a(1), amount: 0n, proof: [] })).toBe(
      false,
    );
  });

  it("rejects two leaves for one account", () => {
    expect(() =>
      buildRewardTree(1n, [
        { account: a(1), amount: 1n },
        { account: a(1).toUpperCase().replace("0X", "0x"), amount: 2n },
      ]),
    ).toThrow(/more than once/);
  });

  it("proofs verify for random reward lists (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 1n, max: 10n ** 24n }), { minLength: 1, maxLength: 9 }),
        fc.nat(),
        (amounts, epoch) => {
          const tree = buildRewardTree(
            epoch,
            amounts.map((amount, i) => ({ account: a(i + 1), amount })),
          );
          const i = epoch % amounts.length;
          const { proof } = rewardProof(tree, a(i + 1));
          expect(
            verifyRewardProof({ root: tree.root, epoch, account: a(i + 1), amount: amounts[i]!, proof }),
          ).toBe(true);
        },
      ),
      { numRuns: 30 },
    );
  });
});
