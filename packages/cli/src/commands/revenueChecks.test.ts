import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  collectUsage,
  createFlockReader,
  depositCredits,
  type LocalChain,
  manifestAddresses,
  startLocalChain,
} from "@flock/chain";
import { parseFlock } from "@flock/core";
import { computeEpoch, type EpochInputs } from "@flock/protocol";
import { describe, expect, it } from "vitest";
import { revenueChecks, usageChargedOf } from "./revenueChecks.ts";

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

  it("reads the epoch's UsageCharged events from a real chain; a forged charge fails against them", async () => {
    const root = mkdtempSync(join(tmpdir(), "flock-cli-revenue-"));
    let chain: LocalChain | undefined;
    try {
      chain = await startLocalChain({ dataDir: join(root, "chain") });
      const [alice, bob] = [chain.clientFor(chain.accounts[3]!), chain.clientFor(chain.accounts[4]!)];
      await depositCredits(alice, { amount: parseFlock("10") });
      await depositCredits(bob, { amount: parseFlock("10") });
      const coordinator = chain.clientFor(chain.roles.coordinator);
      const charges = [
        { account: alice.account.address.toLowerCase() as `0x${string}`, amount: parseFlock("3") },
        { account: bob.account.address.toLowerCase() as `0x${string}`, amount: parseFlock("2") },
      ];
      await collectUsage(coordinator, { epoch: 4n, charges });
      await collectUsage(coordinator, { epoch: 5n, charges: [charges[0]!] });
      const reader = createFlockReader({
        rpcUrl: chain.rpcUrl,
        chainId: chain.chainId,
        addresses: manifestAddresses(chain.manifest),
      });
      const charged = await usageChargedOf(reader, 4, BigInt(chain.manifest.blockNumber));
      expect(charged.sort((a, b) => (a.account < b.account ? -1 : 1))).toEqual(
        [...charges].sort((a, b) => (a.account < b.account ? -1 : 1)),
      );
      const honest = revenueChecks({
        recomputed: computeEpoch(inputs(charges)),
        published: published(charges),
        charged,
      });
      expect(honest.every((c) => c.ok)).toBe(true);
      const forged = revenueChecks({
        recomputed: computeEpoch(inputs([{ ...charges[0]!, amount: parseFlock("4") }, charges[1]!])),
        published: published(charges),
        charged,
      });
      expect(forged.filter((c) => !c.ok)).toHaveLength(2);
    } finally {
      await chain?.stop();
      rmSync(root, { recursive: true, force: true });
    }
  }, 120_000);
});
