import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { computeEpoch } from "./computeEpoch.ts";
import type { EpochFlTaskInput } from "./flEpoch.ts";
import { epochInputsFromReport } from "./inputsFromReport.ts";

const WAD = 10n ** 18n;
const acct = (n: number) => `0x${n.toString(16).padStart(40, "0")}`;
const TREASURY = acct(999);
const CREATOR = acct(777);

function flTask(overrides: Partial<EpochFlTaskInput> = {}): EpochFlTaskInput {
  return {
    id: "fl-1",
    stake: 4000n * WAD,
    pool: 1000n * WAD,
    creator: CREATOR,
    rounds: 2,
    slashFractionBps: 1000,
    playedRounds: [
      {
        round: 1,
        proposers: [{ account: acct(1), stake: 1000n * WAD }],
        voters: [
          { account: acct(2), stake: 1000n * WAD, vote: 1n },
          { account: acct(3), stake: 1000n * WAD, vote: 1n },
        ],
      },
      {
        round: 2,
        proposers: [{ account: acct(2), stake: 1000n * WAD }],
        voters: [
          { account: acct(1), stake: 1000n * WAD, vote: -1n },
          { account: acct(3), stake: 3000n * WAD, vote: -1n },
        ],
      },
    ],
    ...overrides,
  };
}

const base = { epoch: 1, treasury: TREASURY, tasks: [], submissions: [], validators: [] };

describe("FL tasks in an epoch (SPEC §2.2/§3)", () => {
  it("pays each round by FLock's rule from the task's pool: accepted then rejected, the rest back to the creator", () => {
    const result = computeEpoch({ ...base, emission: 0n, flTasks: [flTask()] });
    const [settled] = result.stages.fl;
    // Round 1: 1000 / 2 = 500 to the proposer and both approving voters, pro-rata stake (equal: 500/3 each);
    // the floor dust stays in the pool.
    const third = (500n * WAD) / 3n;
    expect(settled!.rounds[0]).toMatchObject({ accepted: true, roundReward: 500n * WAD });
    // Round 2 is rejected (redo): all that is left / 1 round left, to the rejecting voters (1000 : 3000 stake).
    const r2 = 1000n * WAD - 3n * third;
    expect(settled!.rounds[1]).toMatchObject({ accepted: false, roundReward: r2 });
    const paid = (a: string) => result.rewards.find((r) => r.account === a)?.liquid ?? 0n;
    expect(paid(acct(1))).toBe(third + (r2 * 1000n) / 4000n);
    expect(paid(acct(3))).toBe(third + (r2 * 3000n) / 4000n);
    expect(settled!.left).toBe(r2 - (r2 * 1000n) / 4000n - (r2 * 3000n) / 4000n);
    expect(result.refunds).toEqual([
      { task: "fl-1", creator: CREATOR, pool: 1000n * WAD, refund: settled!.left },
    ]);
  });

  it("splits the emission FL vs Arena by stake and pays the FL part through the FL tasks' rounds", () => {
    const result = computeEpoch({
      ...base,
      emission: 100n * WAD,
      flTasks: [flTask({ pool: 0n, creator: undefined })],
    });
    expect(result.stages.emissionSplit).toMatchObject({ fl: 100n * WAD, flStake: 4000n * WAD });
    expect(result.treasury.fl).toBe(0n);
    expect(result.stages.fl[0]!.r).toBe(100n * WAD);
  });

  it("recomputes from its own report byte for byte", () => {
    const result = computeEpoch({
      ...base,
      emission: 7n * WAD,
      flTasks: [flTask(), flTask({ id: "fl-2", stake: 1n })],
    });
    expect(computeEpoch(epochInputsFromReport(result.report)).reportHash).toBe(result.reportHash);
  });

  it("a contribution round pays its proposers by value, and the report recomputes it", () => {
    const task = flTask({
      playedRounds: [
        {
          round: 1,
          proposers: [
            { account: acct(1), stake: 1000n * WAD },
            { account: acct(4), stake: 1000n * WAD },
          ],
          voters: [{ account: acct(2), stake: 2000n * WAD, vote: 1n }],
          contributions: [
            { account: acct(1), valueWad: 3n * 10n ** 17n },
            { account: acct(4), valueWad: 10n ** 17n },
          ],
        },
      ],
    });
    const result = computeEpoch({ ...base, emission: 0n, flTasks: [task] });
    const paid = (a: string) => result.rewards.find((r) => r.account === a)?.liquid ?? 0n;
    // Round reward 500: by stake 125 : 125 : 250 → the proposers' 250 re-split 3 : 1 → 187.5, 62.5.
    expect(paid(acct(1))).toBe((250n * WAD * 3n) / 4n);
    expect(paid(acct(4))).toBe((250n * WAD) / 4n);
    expect(paid(acct(2))).toBe(250n * WAD);
    const again = computeEpoch(epochInputsFromReport(result.report));
    expect(again.reportHash).toBe(result.reportHash);
  });

  it("refuses an FL task listed as an Arena task too, and rounds out of order", () => {
    const arena = { id: "fl-1", weight: 1n, gammaBps: 1000n, direction: "lower-is-better" as const };
    expect(() => computeEpoch({ ...base, emission: 0n, tasks: [arena], flTasks: [flTask()] })).toThrow(
      /Arena task and an FL task/,
    );
    const t = flTask();
    expect(() =>
      computeEpoch({
        ...base,
        emission: 0n,
        flTasks: [{ ...t, playedRounds: [t.playedRounds[1]!, t.playedRounds[0]!] }],
      }),
    ).toThrow(/increasing order/);
  });

  it("conserves exactly: Σ rewards = emission + Σ pools, whatever the rounds and votes (property)", () => {
    const member = fc.record({
      n: fc.integer({ min: 1, max: 12 }),
      stake: fc.bigInt({ min: 1n, max: 10n ** 22n }),
      value: fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }),
    });
    const round = fc.record({
      byValue: fc.boolean(),
      proposers: fc.uniqueArray(member, { selector: (m) => m.n, maxLength: 3 }),
      voters: fc.uniqueArray(
        fc.record({
          n: fc.integer({ min: 13, max: 20 }),
          stake: fc.bigInt({ min: 1n, max: 10n ** 22n }),
          vote: fc.constantFrom(1n, -1n),
        }),
        {
          selector: (m) => m.n,
          minLength: 1,
          maxLength: 3,
        },
      ),
    });
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 24n }),
        fc.bigInt({ min: 0n, max: 10n ** 24n }),
        fc.array(round, { maxLength: 4 }),
        fc.integer({ min: 1, max: 3 }),
        (emission, pool, rounds, planned) => {
          const task = flTask({
            pool,
            creator: CREATOR,
            rounds: planned,
            playedRounds: rounds.map((r, i) => ({
              round: i + 1,
              proposers: r.proposers.map((p) => ({ account: acct(p.n), stake: p.stake })),
              voters: r.voters.map((v) => ({ account: acct(v.n), stake: v.stake, vote: v.vote })),
              ...(r.byValue
                ? { contributions: r.proposers.map((p) => ({ account: acct(p.n), valueWad: p.value })) }
                : {}),
            })),
          });
          const result = computeEpoch({ ...base, emission, flTasks: [task] });
          const total = result.rewards.reduce((sum, r) => sum + r.liquid + r.vesting, 0n);
          expect(total).toBe(emission + pool);
        },
      ),
      { numRuns: 150 },
    );
  });
});
