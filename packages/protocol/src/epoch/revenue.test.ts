import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_REVENUE_SHARES,
  type RevenueModelInput,
  readRevenueModels,
  readRevenueShares,
  splitModelRevenue,
  splitRevenue,
} from "./revenue.ts";

const WAD = 10n ** 18n;
const acct = (n: number) => `0x${n.toString(16).padStart(40, "0")}`;
const shares = readRevenueShares(undefined);

const split = (m: RevenueModelInput, s = shares) => splitModelRevenue(readRevenueModels([m])[0]!, s);
const received = (m: RevenueModelInput, account: string, s = shares) =>
  splitRevenue(readRevenueModels([m]), s).pay.find((p) => p.account === account)?.amount ?? 0n;

const arbAccount = fc.integer({ min: 1, max: 40 }).map(acct);
const arbWeight = fc.bigInt({ min: 0n, max: 10n ** 20n });
const arbModel: fc.Arbitrary<RevenueModelInput> = fc.record({
  model: fc.constantFrom("alpha", "beta"),
  revenue: fc.bigInt({ min: 0n, max: 10n ** 24n }),
  trainers: fc.uniqueArray(
    fc.record({
      account: arbAccount,
      weight: arbWeight,
      stake: arbWeight,
      sigmaBps: fc.bigInt({ min: 0n, max: 10_000n }),
      delegators: fc.uniqueArray(
        fc.record({
          account: fc.integer({ min: 100, max: 140 }).map(acct),
          amount: arbWeight,
          seconds: fc.bigInt({ min: 0n, max: 604_800n }),
        }),
        { maxLength: 3, selector: (d) => d.account },
      ),
    }),
    { maxLength: 3, selector: (t) => t.account },
  ),
  validators: fc.uniqueArray(fc.record({ account: arbAccount, weight: arbWeight }), {
    maxLength: 4,
    selector: (v) => v.account,
  }),
  flContributors: fc.uniqueArray(
    fc.record({
      account: arbAccount,
      value: fc.option(fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }), { nil: undefined }),
      stake: arbWeight,
    }),
    { maxLength: 4, selector: (c) => c.account },
  ),
  dataMiners: fc.uniqueArray(fc.record({ account: arbAccount, weight: arbWeight }), {
    maxLength: 3,
    selector: (d) => d.account,
  }),
});
const arbShares = fc
  .tuple(
    fc.bigInt({ min: 0n, max: 10_000n }),
    fc.bigInt({ min: 0n, max: 10_000n }),
    fc.bigInt({ min: 0n, max: 10_000n }),
    fc.bigInt({ min: 0n, max: 10_000n }),
  )
  .map(([treasuryBps, a, b, c]) => {
    const [x, y, z] = [a, b, c].sort((p, q) => (p < q ? -1 : p > q ? 1 : 0));
    return readRevenueShares({
      treasuryBps,
      trainersBps: x!,
      validatorsBps: y! - x!,
      flBps: z! - y!,
      dataBps: 10_000n - z!,
    });
  });

describe("revenue split over a model's lineage (SPEC §2.4)", () => {
  it("worked example: treasury first, then the role shares, the trainer's part through its pool σ", () => {
    const result = split({
      model: "arena-1",
      revenue: 1000n * WAD,
      trainers: [
        {
          account: acct(1),
          weight: 1n,
          stake: 300n * WAD,
          sigmaBps: 2000,
          delegators: [{ account: acct(9), amount: 100n * WAD, seconds: 10 }],
        },
      ],
      validators: [
        { account: acct(2), weight: 3n },
        { account: acct(3), weight: 1n },
      ],
    });
    // 10% treasury; no FL contributor and no data miner: their 30% passes to trainers (50) and validators (20)
    // pro rata, so trainers get 900·50/70 and validators 900·20/70.
    expect(result.treasury).toBe(100n * WAD);
    const trainers = (900n * WAD * 5000n) / 7000n;
    const validators = (900n * WAD * 2000n) / 7000n;
    expect(result.roles).toEqual({ trainers, validators, fl: 0n, data: 0n });
    expect(result.dust).toBe(
      900n * WAD - trainers - validators + (validators - (validators * 3n) / 4n - validators / 4n),
    );
    const trainer = result.payouts.find((p) => p.role === "trainers")!;
    // Without its pool the trainer would have 3/4 of its part; the pool gets (1 − 20%) of the last quarter.
    const po = (trainers * 3n) / 4n;
    const pool = (8000n * (trainers - po)) / 10_000n;
    expect(trainer).toMatchObject({ amount: trainers, kept: trainers - pool, pool, sigmaBps: 2000n });
    expect(trainer.delegators![0]!.reward).toBe(pool);
  });

  it("FL contributors by value: zero and negative values earn nothing; by stake when no value is given", () => {
    const byValue = split({
      model: "fl",
      revenue: 10_000n,
      flContributors: [
        { account: acct(1), value: 3n * WAD },
        { account: acct(2), value: WAD },
        { account: acct(3), value: 0n },
        { account: acct(4), value: -WAD },
      ],
    });
    expect(byValue.roles.fl).toBe(9000n);
    expect(byValue.payouts.map((p) => [p.account, p.amount])).toEqual([
      [acct(1), 6750n],
      [acct(2), 2250n],
    ]);
    const byStake = split({
      model: "fl",
      revenue: 10_000n,
      flContributors: [
        { account: acct(1), stake: 1n },
        { account: acct(2), stake: 2n },
      ],
    });
    expect(byStake.payouts.map((p) => p.amount)).toEqual([3000n, 6000n]);
  });

  it("no lineage at all: everything goes to the treasury, as unallocated", () => {
    const result = split({ model: "orphan", revenue: 777n });
    expect(result).toMatchObject({ treasury: 77n, unallocated: 700n, dust: 0n, payouts: [] });
  });

  it("rejects role shares that do not sum to 10000 bps and duplicate lineage entries", () => {
    expect(() => readRevenueShares({ ...DEFAULT_REVENUE_SHARES, dataBps: 0n })).toThrow(
      expect.objectContaining({ code: "REVENUE_SHARES_INVALID" }),
    );
    expect(() =>
      readRevenueModels([
        {
          model: "m",
          revenue: 1n,
          validators: [
            { account: acct(1), weight: 1n },
            { account: acct(1).toUpperCase().replace("0X", "0x"), weight: 2n },
          ],
        },
      ]),
    ).toThrow(expect.objectContaining({ code: "DUPLICATE_ENTRY" }));
    expect(() => readRevenueModels([{ model: "m", revenue: -1n }])).toThrow();
    expect(() =>
      readRevenueModels([
        {
          model: "m",
          revenue: 1n,
          trainers: [
            { account: acct(1), weight: 1n, delegators: [{ account: acct(2), amount: 1n, seconds: 1 }] },
          ],
        },
      ]),
    ).toThrow(expect.objectContaining({ code: "SIGMA_MISSING" }));
  });

  it("property: conservation to the wei, nothing negative, deterministic", () => {
    fc.assert(
      fc.property(fc.array(arbModel, { maxLength: 2 }), arbShares, (raw, s) => {
        const models = readRevenueModels(
          raw.filter((m, i) => raw.findIndex((x) => x.model === m.model) === i),
        );
        const result = splitRevenue(models, s);
        const revenue = models.reduce((sum, m) => sum + m.revenue, 0n);
        const paid = result.pay.reduce((sum, p) => sum + p.amount, 0n);
        expect(paid + result.treasury).toBe(revenue);
        for (const p of result.pay) expect(p.amount > 0n).toBe(true);
        for (const m of result.models) {
          expect(m.treasury + m.dust + m.unallocated >= 0n).toBe(true);
          const roles = Object.values(m.roles).reduce((a, b) => a + b, 0n);
          expect(roles <= m.net).toBe(true);
          for (const p of m.payouts) expect(p.kept >= 0n && (p.pool ?? 0n) >= 0n).toBe(true);
        }
        expect(splitRevenue(models, s)).toEqual(result);
      }),
      { numRuns: 300 },
    );
  });

  it("property: permutation invariance (any order of models and lineage entries gives the same split)", () => {
    fc.assert(
      fc.property(arbModel, fc.integer(), (m, seed) => {
        const rotate = <T>(xs: readonly T[] | undefined): T[] => {
          const list = [...(xs ?? [])];
          const k = list.length === 0 ? 0 : Math.abs(seed) % list.length;
          return [...list.slice(k), ...list.slice(0, k)].reverse();
        };
        const shuffled: RevenueModelInput = {
          ...m,
          trainers: rotate(m.trainers).map((t) => ({ ...t, delegators: rotate(t.delegators) })),
          validators: rotate(m.validators),
          flContributors: rotate(m.flContributors),
          dataMiners: rotate(m.dataMiners),
        };
        expect(split(shuffled)).toEqual(split(m));
      }),
      { numRuns: 200 },
    );
  });

  it("property: monotone in weight — a member with more weight (others unchanged) never receives less", () => {
    fc.assert(
      fc.property(
        arbModel,
        fc.constantFrom("validators", "dataMiners", "trainers") as fc.Arbitrary<
          "validators" | "dataMiners" | "trainers"
        >,
        fc.bigInt({ min: 1n, max: 10n ** 20n }),
        arbShares,
        (m, role, extra, s) => {
          const list = m[role] ?? [];
          if (list.length === 0) return;
          // Without pools, the member's whole part is what it receives.
          const plain = {
            ...m,
            trainers: (m.trainers ?? []).map((t) => ({ account: t.account, weight: t.weight })),
          };
          const target = list[0]!.account;
          const more = {
            ...plain,
            [role]: (plain[role] ?? []).map((e, i) =>
              i === 0 ? { ...e, weight: BigInt(e.weight) + extra } : e,
            ),
          };
          const before = split(plain, s).payouts.find((p) => p.account === target && p.role === roleOf(role));
          const after = split(more, s).payouts.find((p) => p.account === target && p.role === roleOf(role));
          expect((after?.amount ?? 0n) >= (before?.amount ?? 0n)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("property: a delegator with a longer or larger position never receives less; the trainer with σ = 100% keeps all", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 24n }),
        fc.bigInt({ min: 0n, max: 10n ** 20n }),
        fc.bigInt({ min: 1n, max: 10n ** 20n }),
        fc.bigInt({ min: 1n, max: 10n ** 20n }),
        (revenue, own, a, b) => {
          const model = (amount: bigint, sigmaBps: number): RevenueModelInput => ({
            model: "m",
            revenue,
            trainers: [
              {
                account: acct(1),
                weight: 1n,
                stake: own,
                sigmaBps,
                delegators: [
                  { account: acct(7), amount, seconds: 10 },
                  { account: acct(8), amount: b, seconds: 10 },
                ],
              },
            ],
          });
          expect(received(model(a + b, 0), acct(7)) >= received(model(a, 0), acct(7))).toBe(true);
          expect(received(model(a, 10_000), acct(7))).toBe(0n);
        },
      ),
      { numRuns: 200 },
    );
  });
});

function roleOf(list: "validators" | "dataMiners" | "trainers"): string {
  return list === "dataMiners" ? "data" : list;
}
