import { ProtocolError } from "@flock/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { flRoundOutcome } from "./flRound.ts";

const a = (n: number): string => `0x${n.toString(16).padStart(40, "0")}`;

describe("FL round outcome", () => {
  const proposers = [
    { account: a(1), stake: 300n },
    { account: a(2), stake: 100n },
  ];

  it("accepts on a non-negative stake-weighted vote: proposers and approving voters paid, others slashed", () => {
    // tally = 200·(+1) + 100·(−1) = 100 ≥ 0 → accepted
    const outcome = flRoundOutcome({
      proposers,
      voters: [
        { account: a(3), stake: 200n, vote: 1n },
        { account: a(4), stake: 100n, vote: -1n },
      ],
      remainingPool: 1000n,
      roundsLeft: 4,
      slashFractionBps: 1000n,
    });
    expect(outcome.accepted).toBe(true);
    expect(outcome.tally).toBe(100n);
    // round reward = 1000 / 4 = 250, pro-rata 300 : 100 : 200 → 125, 41.67 → 41, 83.33 → 83; dust 1
    expect(outcome.roundReward).toBe(250n);
    expect(outcome.rewards).toEqual([
      { account: a(1), amount: 125n },
      { account: a(2), amount: 41n },
      { account: a(3), amount: 83n },
    ]);
    expect(outcome.dust).toBe(1n);
    // voter 4 slashed 10% of 100 = 10 (prover share 1, rest 9)
    expect(outcome.slashes).toEqual([{ account: a(4), slashed: 10n, toProver: 1n, toPool: 9n }]);
    // 249 paid, the dust stays: 1000 − 249 = 751; one round fewer left
    expect(outcome.remainingPoolAfter).toBe(751n);
    expect(outcome.roundsLeftAfter).toBe(3n);
  });

  it("redoes the round on a negative vote: rejecting voters paid, proposers and approving voters slashed", () => {
    // tally = 100·(+1) + 200·(−1) = −100 < 0 → redo
    const outcome = flRoundOutcome({
      proposers,
      voters: [
        { account: a(3), stake: 100n, vote: 1n },
        { account: a(4), stake: 200n, vote: -1n },
      ],
      remainingPool: 1000n,
      roundsLeft: 4,
      slashFractionBps: 1000n,
    });
    expect(outcome.accepted).toBe(false);
    expect(outcome.rewards).toEqual([{ account: a(4), amount: 250n }]);
    expect(outcome.slashes.map((s) => [s.account, s.slashed])).toEqual([
      [a(1), 30n],
      [a(2), 10n],
      [a(3), 10n],
    ]);
    expect(outcome.roundsLeftAfter).toBe(4n);
    expect(outcome.remainingPoolAfter).toBe(750n);
  });

  it("a tie (tally 0) accepts, as FLock's vote ≥ 0 rule says", () => {
    const outcome = flRoundOutcome({
      proposers,
      voters: [
        { account: a(3), stake: 100n, vote: 1n },
        { account: a(4), stake: 100n, vote: -1n },
      ],
      remainingPool: 10n,
      roundsLeft: 1,
      slashFractionBps: 0n,
    });
    expect(outcome.accepted).toBe(true);
  });

  it("conserves the pool whatever the votes (property)", () => {
    const member = fc.record({
      stake: fc.bigInt({ min: 0n, max: 10n ** 22n }),
      vote: fc.bigInt({ min: -3n, max: 3n }),
    });
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 22n }), { maxLength: 4 }),
        fc.array(member, { minLength: 1, maxLength: 4 }),
        fc.bigInt({ min: 0n, max: 10n ** 24n }),
        fc.integer({ min: 1, max: 50 }),
        (pStakes, vs, pool, rounds) => {
          const outcome = flRoundOutcome({
            proposers: pStakes.map((stake, i) => ({ account: a(i + 1), stake })),
            voters: vs.map((v, i) => ({ account: a(100 + i), ...v })),
            remainingPool: pool,
            roundsLeft: rounds,
            slashFractionBps: 500n,
          });
          const paid = outcome.rewards.reduce((s, r) => s + r.amount, 0n);
          expect(paid + outcome.dust).toBe(outcome.roundReward);
          expect(outcome.remainingPoolAfter + paid).toBe(pool);
          expect(outcome.rewards.length + outcome.slashes.length).toBe(pStakes.length + vs.length);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("rejects an account that both proposes and votes, and a round without voters", () => {
    expect(() =>
      flRoundOutcome({
        proposers,
        voters: [{ account: a(1).toUpperCase().replace("0X", "0x"), stake: 1n, vote: 1n }],
        remainingPool: 10n,
        roundsLeft: 1,
        slashFractionBps: 0n,
      }),
    ).toThrow(ProtocolError);
    expect(() =>
      flRoundOutcome({ proposers, voters: [], remainingPool: 10n, roundsLeft: 1, slashFractionBps: 0n }),
    ).toThrow(/voter/);
  });
});
