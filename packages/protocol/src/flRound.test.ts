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

describe("FL round outcome under the contribution pay rule", () => {
  const base = {
    proposers: [
      { account: a(1), stake: 300n },
      { account: a(2), stake: 100n },
      { account: a(3), stake: 100n },
    ],
    voters: [
      { account: a(4), stake: 200n, vote: 1n },
      { account: a(5), stake: 100n, vote: -1n },
    ],
    remainingPool: 1000n,
    roundsLeft: 1,
    slashFractionBps: 1000n,
  };
  it("re-splits the proposers' stake-rule part by positive value; voters and slashes as the stake rule", () => {
    const stake = flRoundOutcome(base);
    // stake rule: 1000 over 300 : 100 : 100 : 200 → 428, 142, 142, 285 (dust 3); proposers together 712
    expect(stake.rewards.map((r) => r.amount)).toEqual([428n, 142n, 142n, 285n]);
    const paid = flRoundOutcome({
      ...base,
      contributions: [
        { account: a(1), valueWad: 1n },
        { account: a(2), valueWad: 3n },
        { account: a(3), valueWad: -5n },
      ],
    });
    // 712 by 1 : 3 : 0 → 178, 534, 0
    expect(paid.rewards).toEqual([
      { account: a(1), amount: 178n },
      { account: a(2), amount: 534n },
      { account: a(3), amount: 0n },
      { account: a(4), amount: 285n },
    ]);
    expect(paid.slashes).toEqual(stake.slashes);
    expect(paid.dust).toBe(3n);
    expect(paid.remainingPoolAfter).toBe(3n);
  });

  it("pays by stake when no value is positive, and changes nothing in a rejected round", () => {
    const stake = flRoundOutcome(base);
    const none = flRoundOutcome({
      ...base,
      contributions: [
        { account: a(1), valueWad: 0n },
        { account: a(2), valueWad: -1n },
      ],
    });
    expect(none).toEqual(stake);
    const rejectedInputs = { ...base, voters: [{ account: a(4), stake: 200n, vote: -1n }] };
    expect(flRoundOutcome({ ...rejectedInputs, contributions: [{ account: a(1), valueWad: 9n }] })).toEqual(
      flRoundOutcome(rejectedInputs),
    );
  });

  const contributionRound = fc.record({
    proposers: fc.array(
      fc.record({
        stake: fc.bigInt({ min: 0n, max: 10n ** 22n }),
        value: fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }),
      }),
      { minLength: 1, maxLength: 5 },
    ),
    voters: fc.array(
      fc.record({ stake: fc.bigInt({ min: 0n, max: 10n ** 22n }), vote: fc.constantFrom(1n, -1n) }),
      { minLength: 1, maxLength: 4 },
    ),
    pool: fc.bigInt({ min: 0n, max: 10n ** 24n }),
    rounds: fc.integer({ min: 1, max: 20 }),
  });
  const inputsOf = (r: typeof contributionRound extends fc.Arbitrary<infer T> ? T : never) => ({
    proposers: r.proposers.map((p, i) => ({ account: a(i + 1), stake: p.stake })),
    voters: r.voters.map((v, i) => ({ account: a(100 + i), ...v })),
    remainingPool: r.pool,
    roundsLeft: r.rounds,
    slashFractionBps: 500n,
  });
  const contributionsOf = (r: { proposers: { value: bigint }[] }) =>
    r.proposers.map((p, i) => ({ account: a(i + 1), valueWad: p.value }));

  it("conserves the round reward, pays voters as the stake rule, and pays the proposers' part (property)", () => {
    fc.assert(
      fc.property(contributionRound, (r) => {
        const stake = flRoundOutcome(inputsOf(r));
        const paid = flRoundOutcome({ ...inputsOf(r), contributions: contributionsOf(r) });
        const sum = (o: typeof paid, from: number, to: number) =>
          o.rewards
            .filter((x) => Number.parseInt(x.account, 16) >= from && Number.parseInt(x.account, 16) < to)
            .reduce((s, x) => s + x.amount, 0n);
        expect(paid.rewards.reduce((s, x) => s + x.amount, 0n) + paid.dust).toBe(paid.roundReward);
        expect(paid.remainingPoolAfter + paid.rewards.reduce((s, x) => s + x.amount, 0n)).toBe(r.pool);
        // voters identical to the stake rule; slashes too
        expect(paid.rewards.filter((x) => Number.parseInt(x.account, 16) >= 100)).toEqual(
          stake.rewards.filter((x) => Number.parseInt(x.account, 16) >= 100),
        );
        expect(paid.slashes).toEqual(stake.slashes);
        // the proposers never get more together than the stake rule gives them, and lose at most the floor
        const proposersPaid = sum(paid, 1, 100);
        expect(proposersPaid).toBeLessThanOrEqual(sum(stake, 1, 100));
        expect(sum(stake, 1, 100) - proposersPaid).toBeLessThan(BigInt(r.proposers.length) + 1n);
        // all non-positive → exactly the stake rule
        if (r.proposers.every((p) => p.value <= 0n)) expect(paid).toEqual(stake);
      }),
      { numRuns: 200 },
    );
  });

  it("is monotone in value: raising one proposer's value never lowers its pay (property)", () => {
    fc.assert(
      fc.property(
        contributionRound,
        fc.nat({ max: 4 }),
        fc.bigInt({ min: 0n, max: 10n ** 20n }),
        (r, who, raise) => {
          const i = who % r.proposers.length;
          const before = flRoundOutcome({ ...inputsOf(r), contributions: contributionsOf(r) });
          const raised = r.proposers.map((p, j) => (j === i ? { ...p, value: p.value + raise } : p));
          const after = flRoundOutcome({
            ...inputsOf(r),
            contributions: contributionsOf({ proposers: raised }),
          });
          const of = (o: typeof before) => o.rewards.find((x) => x.account === a(i + 1))?.amount ?? 0n;
          // from a non-positive value to a positive one the proposer leaves the stake fallback: compare only
          // when some value was already positive
          if (r.proposers.some((p) => p.value > 0n)) expect(of(after)).toBeGreaterThanOrEqual(of(before));
        },
      ),
      { numRuns: 200 },
    );
  });
});
