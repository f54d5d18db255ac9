import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { flProposerCount, flRoles } from "./flRoles.ts";

const acct = (n: number) => `0x${n.toString(16).padStart(40, "0")}`;
const WAD = 10n ** 18n;
const SEED = `0x${"ab".repeat(32)}`;
const seedOf = (n: number) => `0x${n.toString(16).padStart(64, "0")}`;

const participantsArb = fc
  .uniqueArray(fc.integer({ min: 1, max: 10_000 }), { minLength: 2, maxLength: 24 })
  .chain((ids) =>
    fc
      .array(fc.bigInt({ min: 1n, max: 10n ** 24n }), { minLength: ids.length, maxLength: ids.length })
      .map((stakes) => ids.map((id, i) => ({ account: acct(id), stake: stakes[i]! }))),
  );
const seedArb = fc
  .bigInt({ min: 0n, max: 2n ** 256n - 1n })
  .map((n) => `0x${n.toString(16).padStart(64, "0")}`);

describe("flRoles", () => {
  it("partitions the participants: disjoint, covering, each list sorted, stakes kept", () => {
    fc.assert(
      fc.property(
        participantsArb,
        seedArb,
        fc.nat(1000),
        fc.integer({ min: 0, max: 10_000 }),
        (ps, seed, round, bps) => {
          const { proposers, voters } = flRoles({ participants: ps, seed, round, proposerFractionBps: bps });
          const p = proposers.map((x) => x.account);
          const v = voters.map((x) => x.account);
          expect(new Set([...p, ...v]).size).toBe(ps.length);
          expect(p.length + v.length).toBe(ps.length);
          expect(p.filter((a) => v.includes(a))).toEqual([]);
          expect(p).toEqual([...p].sort());
          expect(v).toEqual([...v].sort());
          const stakeOf = new Map(ps.map((x) => [x.account, x.stake]));
          for (const x of [...proposers, ...voters]) expect(x.stake).toBe(stakeOf.get(x.account));
        },
      ),
    );
  });

  it("has max(1, ⌊n·f⌋) proposers, capped so at least one votes", () => {
    fc.assert(
      fc.property(participantsArb, seedArb, fc.integer({ min: 0, max: 10_000 }), (ps, seed, bps) => {
        const { proposers, voters } = flRoles({ participants: ps, seed, round: 3, proposerFractionBps: bps });
        const n = ps.length;
        const expected = Math.min(n - 1, Math.max(1, Math.floor((n * bps) / 10_000)));
        expect(proposers.length).toBe(expected);
        expect(voters.length).toBeGreaterThanOrEqual(1);
      }),
    );
    expect(flProposerCount(10, 3000)).toBe(3);
    expect(flProposerCount(10, 0)).toBe(1);
    expect(flProposerCount(10, 10_000)).toBe(9);
    expect(flProposerCount(2, 5000)).toBe(1);
    expect(flProposerCount(3, 9999)).toBe(2);
  });

  it("is deterministic and independent of participant order and account case", () => {
    fc.assert(
      fc.property(participantsArb, seedArb, fc.nat(1000), (ps, seed, round) => {
        const input = { participants: ps, seed, round, proposerFractionBps: 4000 };
        const a = flRoles(input);
        expect(flRoles(input)).toEqual(a);
        const shuffled = [...ps]
          .reverse()
          .map((x, i) => (i % 2 ? { ...x, account: x.account.toUpperCase().replace("0X", "0x") } : x));
        expect(
          flRoles({ ...input, participants: shuffled, seed: seed.toUpperCase().replace("0X", "0x") }),
        ).toEqual(a);
      }),
    );
  });

  it("changes with the seed and with the round", () => {
    const participants = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => ({ account: acct(i), stake: 1000n * WAD }));
    const key = (seed: string, round: number) =>
      flRoles({ participants, seed, round, proposerFractionBps: 5000 })
        .proposers.map((p) => p.account)
        .join();
    const bySeed = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((n) => key(seedOf(n), 0)));
    const byRound = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((r) => key(SEED, r)));
    // 70 possible splits: eight equal keys in a row would be a broken draw.
    expect(bySeed.size).toBeGreaterThan(3);
    expect(byRound.size).toBeGreaterThan(3);
  });

  // Recomputed outside TypeScript with a plain sha256 walk over the cumulative stakes.
  it("is pinned: the same inputs give these roles on every machine", () => {
    const participants = [1, 2, 3, 4, 5].map((i) => ({ account: acct(i), stake: BigInt(i) * 1000n * WAD }));
    const roles = flRoles({ participants, seed: SEED, round: 7, proposerFractionBps: 4000 });
    expect(roles.proposers.map((p) => p.account)).toEqual([acct(4), acct(5)]);
    expect(roles.voters.map((p) => p.account)).toEqual([acct(1), acct(2), acct(3)]);
  });

  it("makes a single proposer with frequency ∝ stake", () => {
    // Stakes 1 : 1 : 2 : 4; ⌊4 · 2500 / 10 000⌋ = 1 proposer per round.
    const stakes = [1n, 1n, 2n, 4n];
    const participants = stakes.map((s, i) => ({ account: acct(i + 1), stake: s * 1000n * WAD }));
    const counts = new Map<string, number>();
    const rounds = 12_000;
    for (let round = 0; round < rounds; round++) {
      const [p] = flRoles({ participants, seed: SEED, round, proposerFractionBps: 2500 }).proposers;
      counts.set(p!.account, (counts.get(p!.account) ?? 0) + 1);
    }
    [1 / 8, 1 / 8, 2 / 8, 4 / 8].forEach((p, i) => {
      const observed = (counts.get(acct(i + 1)) ?? 0) / rounds;
      // 5 standard deviations of a binomial proportion at n = 12,000 is at most 0.0229.
      expect(Math.abs(observed - p)).toBeLessThan(0.023);
    });
  });

  it("with several proposers, more stake means proposing more often", () => {
    // Six participants with stakes 1..6 (× 1000 gmFLOCK), three proposers a round.
    const participants = [1, 2, 3, 4, 5, 6].map((i) => ({
      account: acct(i),
      stake: BigInt(i) * 1000n * WAD,
    }));
    const counts = new Array<number>(6).fill(0);
    const rounds = 6000;
    for (let round = 0; round < rounds; round++) {
      const { proposers } = flRoles({
        participants,
        seed: seedOf(round + 1),
        round,
        proposerFractionBps: 5000,
      });
      for (const p of proposers) counts[Number.parseInt(p.account, 16) - 1]! += 1;
    }
    const rates = counts.map((c) => c / rounds);
    for (let i = 1; i < 6; i++) expect(rates[i]!).toBeGreaterThan(rates[i - 1]!);
    // Without replacement the heaviest is included well above its one-draw share 6/21 and below certainty.
    expect(rates[5]!).toBeGreaterThan(0.7);
    expect(rates[0]!).toBeLessThan(0.3);
    expect(rates.reduce((a, b) => a + b, 0)).toBeCloseTo(3, 10);
    // Exact inclusion probabilities of successive sampling (each draw ∝ stake among those left).
    const exact = new Array<number>(6).fill(0);
    const walk = (left: number[], prob: number, picks: number) => {
      if (picks === 0) return;
      const total = left.reduce((a, i) => a + i + 1, 0);
      for (const i of left) {
        const p = (prob * (i + 1)) / total;
        exact[i]! += p;
        walk(
          left.filter((j) => j !== i),
          p,
          picks - 1,
        );
      }
    };
    walk([0, 1, 2, 3, 4, 5], 1, 3);
    // 5 standard deviations of a binomial proportion at n = 6000 is at most 0.033.
    for (const [i, r] of rates.entries()) expect(Math.abs(r - exact[i]!)).toBeLessThan(0.033);
  });

  it("refuses duplicates, zero stake, fewer than two participants and a malformed seed", () => {
    const base = { seed: SEED, round: 1, proposerFractionBps: 5000 };
    const p1 = { account: acct(1), stake: 5n * WAD };
    const p2 = { account: acct(2), stake: 5n * WAD };
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        return (error as { code?: string }).code;
      }
      return "no error";
    };
    expect(
      code(() =>
        flRoles({
          ...base,
          participants: [p1, { ...p1, account: p1.account.toUpperCase().replace("0X", "0x") }],
        }),
      ),
    ).toBe("DUPLICATE_ENTRY");
    expect(code(() => flRoles({ ...base, participants: [p1, { ...p2, stake: 0n }] }))).toBe(
      "ZERO_STAKE_PARTICIPANT",
    );
    expect(code(() => flRoles({ ...base, participants: [p1] }))).toBe("TOO_FEW_PARTICIPANTS");
    expect(code(() => flRoles({ ...base, participants: [] }))).toBe("TOO_FEW_PARTICIPANTS");
    expect(code(() => flRoles({ ...base, participants: [p1, p2], seed: "0x1234" }))).toBe("SEED_MALFORMED");
    expect(code(() => flRoles({ ...base, participants: [p1, p2], proposerFractionBps: 10_001 }))).toBe(
      "BPS_OUT_OF_RANGE",
    );
    expect(code(() => flRoles({ ...base, participants: [p1, p2], round: -1 }))).toBe("COUNT_INVALID");
    expect(code(() => flRoles({ ...base, participants: [p1, { ...p2, stake: -1n }] }))).not.toBe("no error");
  });
});
