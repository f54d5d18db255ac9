import { type FlockReader, readEvents } from "@flock/chain";
import type { wire } from "@flock/core";
import type { EpochResult } from "@flock/protocol";
import type { AuditCheck } from "./auditInputs.ts";

/** A charge as the audit compares them: payer and FLOCK base units. */
export interface AuditCharge {
  account: string;
  amount: bigint;
}

const line = (charges: readonly AuditCharge[]): string =>
  charges
    .filter((c) => c.amount > 0n)
    .map((c) => ({ account: c.account.toLowerCase(), amount: c.amount }))
    .sort((a, b) => (a.account < b.account ? -1 : a.account > b.account ? 1 : 0))
    .map((c) => `${c.account} ${c.amount}`)
    .join(", ") || "none";

/**
 * The usage checks of an epoch (SPEC §2.4): the report's charges are exactly the usage the coordinator published
 * for the epoch (GET /epochs/:n/usage, per payer) and exactly what the chain debited (UsageCharged events of the
 * epoch), and the revenue split's treasury line is what the recomputed stage gives. No checks for an epoch with
 * no charge on any side.
 */
export function revenueChecks(options: {
  recomputed: EpochResult;
  /** The coordinator's published usage of the epoch, or why it could not be read. */
  published: wire.EpochUsage | Error;
  /** The chain's UsageCharged events for the epoch. */
  charged: readonly AuditCharge[];
}): AuditCheck[] {
  const checks: AuditCheck[] = [];
  const check = (name: string, expected: string, actual: string) =>
    checks.push({ check: name, ok: expected === actual, expected, actual });
  const inputs = options.recomputed.report.inputs as {
    revenue?: { charges: { account: string; amount: string }[] };
  };
  const reported = (inputs.revenue?.charges ?? []).map((c) => ({
    account: c.account,
    amount: BigInt(c.amount),
  }));
  const published =
    options.published instanceof Error
      ? null
      : options.published.byAccount.map((a) => ({ account: a.account, amount: BigInt(a.amount) }));
  const anyCharge =
    reported.length > 0 || options.charged.length > 0 || (published !== null && published.length > 0);
  if (!anyCharge) return checks;
  check(
    "the report's usage charges = the coordinator's published usage of the epoch",
    line(reported),
    published === null ? `not readable: ${(options.published as Error).message}` : line(published),
  );
  check(
    "the report's usage charges = the chain's UsageCharged events of the epoch",
    line(reported),
    line(options.charged),
  );
  const split = options.recomputed.stages.revenue;
  check(
    "usage revenue = Σ charges (split over the models' lineage)",
    reported.reduce((sum, c) => sum + c.amount, 0n).toString(),
    split.reduce((sum, m) => sum + m.revenue, 0n).toString(),
  );
  check(
    "treasury revenue line = Σ of each model's treasury cut, dust and unallocated",
    split.reduce((sum, m) => sum + m.treasury + m.dust + m.unallocated, 0n).toString(),
    options.recomputed.treasury.revenue.toString(),
  );
  return checks;
}

/** The chain's UsageCharged events of one epoch. */
export async function usageChargedOf(
  reader: FlockReader,
  epoch: number,
  fromBlock: bigint,
): Promise<AuditCharge[]> {
  const charged: AuditCharge[] = [];
  for await (const event of readEvents(reader, { fromBlock, kinds: ["usageCharged"] })) {
    if (event.kind !== "usageCharged" || event.args.epoch !== BigInt(epoch)) continue;
    charged.push({ account: event.args.account.toLowerCase(), amount: event.args.amount });
  }
  return charged;
}
