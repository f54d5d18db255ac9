import { ValidationError } from "@flock/core";
import type { CreditAccount } from "@flock/store";
import { spendableOf } from "../access/spendable.ts";
import { chainFactIndexerOf } from "../chain/chainFactIndexer.ts";
import type { AppContext } from "../deps.ts";

/** An account's prepaid credit: the indexed UsageCredits totals and the contract's balance read now. */
export interface CreditAccountView extends CreditAccount {
  /** UsageCredits' `balanceOf(account)` at the chain's head. */
  onChainBalance: bigint;
  /** Σ cost of the account's usage metered and not yet collected on-chain. */
  uncollected: bigint;
  /** deposited − withdrawn − charged − pendingWithdrawal − uncollected (floored at 0): what calls may spend. */
  spendable: bigint;
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * An account's prepaid usage credit (SPEC §2.4): first brings the chain fact index up to the head (so a deposit
 * mined a moment ago counts), then reads the account's indexed totals and its balance on-chain. Refuses a
 * malformed account with ACCOUNT_MALFORMED.
 */
export async function creditAccount(
  ctx: Pick<AppContext, "db" | "repos" | "chain">,
  account: string,
): Promise<CreditAccountView> {
  if (typeof account !== "string" || !ADDRESS.test(account)) {
    throw new ValidationError("ACCOUNT_MALFORMED", `${JSON.stringify(account)} is not an account address`, {
      hint: "pass the account as 0x followed by 40 hex digits",
    });
  }
  await chainFactIndexerOf(ctx).sync();
  const [totals, onChain, uncollected] = await Promise.all([
    ctx.repos.credits.get(account),
    ctx.chain.creditBalance(account),
    ctx.repos.usage.uncollectedOf(account),
  ]);
  return {
    ...totals,
    onChainBalance: onChain.balance,
    uncollected,
    spendable: spendableOf({ ...totals, uncollected }),
  };
}
