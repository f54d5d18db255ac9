import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { computeEpoch, epochRewardProof } from "./computeEpoch.ts";
import { epochInputsFromReport } from "./inputsFromReport.ts";
import type { EpochInputs, EpochRevenueInput } from "./types.ts";

const WAD = 10n ** 18n;
const acct = (n: number) => `0x${n.toString(16).padStart(40, "0")}`;
const TREASURY = acct(999);
const base = { epoch: 3, treasury: TREASURY, tasks: [], submissions: [], validators: [] };

const revenue: EpochRevenueInput = {
  charges: [
    { account: acct(50), amount: 600n * WAD },
    { account: acct(51), amount: 400n * WAD + 7n },
  ],
  models: [
    {
      model: "arena-winner",
      revenue: 700n * WAD + 7n,
      trainers: [
        {
          account: acct(1),
          weight: 1n,
          stake: 100n * WAD,
          sigmaBps: 5000,
          delegators: [{ account: acct(9), amount: 100n * WAD, seconds: 3600 }],
        },
      ],
      validators: [
        { account: acct(2), weight: 2n },
        { account: acct(3), weight: 1n },
      ],
    },
    {
      model: "fl-global",
      revenue: 300n * WAD,
      flContributors: [
        { account: acct(4), value: 2n * WAD },
        { account: acct(5), value: -WAD },
      ],
      validators: [{ account: acct(2), weight: 1n }],
    },
  ],
};

describe("usage revenue in the epoch (SPEC §2.4)", () => {
  it("pays the lineage liquid in the same tree as emission; the treasury line gains `revenue`; conserved", () => {
    const result = computeEpoch({ ...base, emission: 0n, revenue });
    const total = 1000n * WAD + 7n;
    const liquid = result.rewards.reduce((sum, r) => sum + r.liquid, 0n);
    expect(liquid).toBe(total);
    expect(result.rewards.every((r) => r.vesting === 0n)).toBe(true);
    expect(result.treasury.revenue).toBe(
      result.stages.revenue.reduce((s, m) => s + m.treasury + m.dust + m.unallocated, 0n),
    );
    expect(result.treasury.total).toBe(result.treasury.revenue);
    const [winner, fl] = result.stages.revenue;
    expect(winner!.model).toBe("arena-winner");
    // No FL contributor and no data miner on the winner: their shares pass to trainers and validators.
    expect(winner!.roles.fl).toBe(0n);
    expect(winner!.roles.trainers + winner!.roles.validators + winner!.dust >= winner!.net - 1n).toBe(true);
    // The negative contribution earns nothing.
    expect(fl!.payouts.find((p) => p.account === acct(5))).toBeUndefined();
    const report = result.report as {
      outputs: { totals: { revenue: string } };
      stages: { revenue: unknown[] };
    };
    expect(report.outputs.totals.revenue).toBe(String(total));
    expect(report.stages.revenue).toHaveLength(2);
    // The delegator claims from the liquid root.
    const claim = epochRewardProof(result, "liquid", acct(9));
    expect(claim.amount > 0n).toBe(true);
  });

  it("the report reads back into the same inputs: byte-identical recomputation", () => {
    const result = computeEpoch({ ...base, emission: 5n * WAD, revenue });
    const again = computeEpoch(epochInputsFromReport(result.report));
    expect(again.reportJson).toBe(result.reportJson);
    expect(again.reportHash).toBe(result.reportHash);
  });

  it("an epoch without revenue keeps its report shape (no revenue keys)", () => {
    const result = computeEpoch({ ...base, emission: 5n * WAD });
    expect(result.reportJson).not.toContain("revenue");
  });

  it("refuses charges that do not add up to the models' revenue (a forged charge)", () => {
    const forged = {
      ...revenue,
      charges: [...revenue.charges, { account: acct(52), amount: 1n }],
    };
    expect(() => computeEpoch({ ...base, emission: 0n, revenue: forged })).toThrow(
      expect.objectContaining({ code: "REVENUE_CHARGES_MISMATCH" }),
    );
    expect(() =>
      computeEpoch({
        ...base,
        emission: 0n,
        revenue: { ...revenue, charges: [revenue.charges[0]!, revenue.charges[0]!] },
      }),
    ).toThrow(expect.objectContaining({ code: "DUPLICATE_ENTRY" }));
  });

  it("property: with emission and revenue, Σ liquid + Σ vesting = emission + Σ charges, to the wei", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 24n }),
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 22n }), { minLength: 1, maxLength: 3 }),
        fc.bigInt({ min: 0n, max: 10_000n }),
        (emission, revenues, treasuryBps) => {
          const inputs: EpochInputs = {
            ...base,
            emission,
            revenue: {
              shares: { treasuryBps },
              charges: revenues.map((amount, i) => ({ account: acct(60 + i), amount })),
              models: revenues.map((amount, i) => ({
                model: `m${i}`,
                revenue: amount,
                trainers: [{ account: acct(1 + i), weight: 1n }],
                validators: [
                  { account: acct(10), weight: BigInt(i + 1) },
                  { account: acct(11), weight: 3n },
                ],
              })),
            },
          };
          const result = computeEpoch(inputs);
          const paid = result.rewards.reduce((sum, r) => sum + r.liquid + r.vesting, 0n);
          expect(paid).toBe(emission + revenues.reduce((a, b) => a + b, 0n));
        },
      ),
      { numRuns: 100 },
    );
  });
});
