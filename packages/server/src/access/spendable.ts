import type { CreditAccount, Repositories } from "@flock/store";

/** The spendable balance of an account and what it is made of (FLOCK base units). */
export interface SpendableBalance
  extends Pick<CreditAccount, "deposited" | "withdrawn" | "charged" | "pendingWithdrawal"> {
  /** Σ cost of the account's usage records not yet collected on-chain. */
  uncollected: bigint;
  /** What new calls and subscription fees may spend (never below 0). */
  spendable: bigint;
}

/**
 * spendable = deposited − withdrawn − charged − pendingWithdrawal − uncollected   (floored at 0)
 *
 * `deposited`, `withdrawn`, `charged` and `pendingWithdrawal` are the UsageCredits events the coordinator indexed;
 * `uncollected` the usage metered since the last collection. A withdrawal request stops being spendable as soon
 * as it is indexed, long before its delay lets it leave the contract.
 */
export function spendableOf(totals: Omit<SpendableBalance, "spendable">): bigint {
  const left =
    totals.deposited - totals.withdrawn - totals.charged - totals.pendingWithdrawal - totals.uncollected;
  return left > 0n ? left : 0n;
}

/** An account's spendable balance from the store: its indexed credit and its uncollected usage. */
export async function spendableBalance(repos: Repositories, account: string): Promise<SpendableBalance> {
  const totals = await repos.credits.get(account);
  const uncollected = await repos.usage.uncollectedOf(account);
  const parts = {
    deposited: totals.deposited,
    withdrawn: totals.withdrawn,
    charged: totals.charged,
    pendingWithdrawal: totals.pendingWithdrawal,
    uncollected,
  };
  return { ...parts, spendable: spendableOf(parts) };
}
