import { computeEpoch, type EpochInputs } from "@flock/protocol";
import { describe, expect, it } from "vitest";
import { revenueChecks } from "./revenueChecks.ts";

const acct = (n: number) => `0x${n.toString(16).padStart(40, "0")}`;
const inputs = (charges: { account: string; amount: bigint }[]): EpochInputs => ({
  epoch: 4,
  emission: 0n,
  treasury: acct(999),
  tasks: [],
  submissions: [],
  validators: [],
  revenue: {
    charges,
    models: [
      {
        model: "flock/winner@1",
        revenue: charges.reduce((sum, c) => sum + c.amount, 0n),
        trainers: [{ account: acct(1), weight: 1n }],
        validators: [{ account: acct(2), weight: 1n }],
      },
    ],
  },
});
const published = (rows: { account: string; amount: bigint }[]) => ({
  epoch: 4,
  total: rows.reduce((sum, r) => sum + r.amount, 0n).toString(),
  byAccount: rows.map((r) => ({
    account: r.account as `0x${string}`,
    amount: r.amount.toString(),
    records: 1,
  })),
  byModel: [],
});

describe("flock audit: usage revenue checks", () => {
  const honest = [
    { account: acct(50), amount: 1000n },
    { account: acct(51), amount: 234n },
  ];

  it("passes when the report's charges, the published usage and the UsageCharged events agree", () => {
    const checks = revenueChecks({
      recomputed: computeEpoch(inputs(honest)),
      published: published(honest),
      charged: honest,
    });
    expect(checks.length).toBe(4);
    expect(checks.every((c) => c.ok)).toBe(true);
  });

  it("fails a report with a forged charge (more than the payer's published usage and on-chain debit)", () => {
    const forged = [{ account: acct(50), amount: 1001n }, honest[1]!];
    const checks = revenueChecks({
      recomputed: computeEpoch(inputs(forged)),
      published: published(honest),
      charged: honest,
    });
    const failed = checks.filter((c) => !c.ok).map((c) => c.check);
    expect(failed).toEqual([
      "the report's usage charges = the coordinator's published usage of the epoch",
      "the report's usage charges = the chain's UsageCharged events of the epoch",
    ]);
  });

  it("fails a report that leaves out charges the chain collected, and one whose usage cannot be read", () => {
    const checks = revenueChecks({
      recomputed: computeEpoch({ ...inputs(honest), revenue: undefined }),
      published: new Error("GET /epochs/4/usage answered 500"),
      charged: honest,
    });
    expect(checks.filter((c) => !c.ok).length).toBe(2);
  });

  it("no checks for an epoch without usage on any side", () => {
    const checks = revenueChecks({
      recomputed: computeEpoch({ ...inputs([]), revenue: undefined }),
      published: published([]),
      charged: [],
    });
    expect(checks).toEqual([]);
  });
});
