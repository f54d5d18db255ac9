import { toAmount } from "@flock/core";
import type { Kysely, Selectable } from "kysely";
import { guard } from "./dbErrors.ts";
import type { CreditAccountsTable, Database } from "./schema.ts";
import { checkChainPosition } from "./stakes.ts";
import { amountText, inTransaction, normalizeAddress } from "./values.ts";

/** An account's prepaid usage credit as indexed from the UsageCredits contract's events (FLOCK base units). */
export interface CreditAccount {
  /** Lowercase 0x address. */
  account: string;
  deposited: bigint;
  withdrawn: bigint;
  /** Usage collected on-chain (UsageCharged). */
  charged: bigint;
  /** Requested for withdrawal and not yet withdrawn (0 without a request). */
  pendingWithdrawal: bigint;
  /** When the pending request may be withdrawn; null without a request. */
  pendingAvailableAt: Date | null;
}

/** One UsageCredits event, reduced to what the totals need, with its chain position. */
export type CreditEvent = {
  account: string;
  blockNumber: number;
  logIndex: number;
} & (
  | { kind: "deposited"; amount: bigint }
  | { kind: "withdrawalRequested"; amount: bigint; availableAt: Date | null }
  | { kind: "withdrawn"; amount: bigint }
  | { kind: "charged"; amount: bigint }
);

function emptyAccount(account: string): CreditAccount {
  return {
    account,
    deposited: 0n,
    withdrawn: 0n,
    charged: 0n,
    pendingWithdrawal: 0n,
    pendingAvailableAt: null,
  };
}

function toCreditAccount(row: Selectable<CreditAccountsTable>): CreditAccount {
  return {
    account: row.account,
    deposited: toAmount(row.deposited, "deposited"),
    withdrawn: toAmount(row.withdrawn, "withdrawn"),
    charged: toAmount(row.charged, "charged"),
    pendingWithdrawal: toAmount(row.pending_withdrawal, "pending withdrawal"),
    pendingAvailableAt: row.pending_available_at,
  };
}

/** The next totals of an account after one event (a pure step; the chain already checked every rule). */
export function applyCreditEvent(held: CreditAccount, event: CreditEvent): CreditAccount {
  switch (event.kind) {
    case "deposited":
      return { ...held, deposited: held.deposited + event.amount };
    case "withdrawalRequested":
      // a request replaces the earlier one; amount 0 cancels it
      return {
        ...held,
        pendingWithdrawal: event.amount,
        pendingAvailableAt: event.amount === 0n ? null : event.availableAt,
      };
    case "withdrawn":
      // a withdrawal uses the request up
      return {
        ...held,
        withdrawn: held.withdrawn + event.amount,
        pendingWithdrawal: 0n,
        pendingAvailableAt: null,
      };
    case "charged":
      return { ...held, charged: held.charged + event.amount };
    default:
      return event satisfies never;
  }
}

/** Prepaid usage credit per account, indexed from the chain (the chain is the truth, this is its copy). */
export class CreditRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Apply one UsageCredits event to its account's totals. Only an event after the last one applied to the account
   * (by block, then log index) changes anything, so a replayed range converges. Returns the totals after it.
   */
  async apply(event: CreditEvent): Promise<CreditAccount> {
    checkChainPosition(event.blockNumber, event.logIndex);
    const account = normalizeAddress(event.account);
    amountText(event.amount);
    return guard({ what: `usage credit of ${account}` }, () =>
      inTransaction(this.#db, async (trx) => {
        const row = await trx
          .selectFrom("credit_accounts")
          .selectAll()
          .where("account", "=", account)
          .forUpdate()
          .executeTakeFirst();
        if (
          row !== undefined &&
          (row.block_number > event.blockNumber ||
            (row.block_number === event.blockNumber && row.log_index >= event.logIndex))
        ) {
          return toCreditAccount(row);
        }
        const next = applyCreditEvent(
          row === undefined ? emptyAccount(account) : toCreditAccount(row),
          event,
        );
        const values = {
          deposited: amountText(next.deposited),
          withdrawn: amountText(next.withdrawn),
          charged: amountText(next.charged),
          pending_withdrawal: amountText(next.pendingWithdrawal),
          pending_available_at: next.pendingAvailableAt,
          block_number: event.blockNumber,
          log_index: event.logIndex,
        };
        await trx
          .insertInto("credit_accounts")
          .values({ account, ...values })
          .onConflict((conflict) => conflict.column("account").doUpdateSet(values))
          .execute();
        return next;
      }),
    );
  }

  /** An account's totals; all zero for an account that never deposited. */
  async get(account: string): Promise<CreditAccount> {
    const address = normalizeAddress(account);
    const row = await this.#db
      .selectFrom("credit_accounts")
      .selectAll()
      .where("account", "=", address)
      .executeTakeFirst();
    return row === undefined ? emptyAccount(address) : toCreditAccount(row);
  }

  /** Several accounts' totals, by lowercase account (accounts that never deposited read all zero). */
  async getMany(accounts: readonly string[]): Promise<Map<string, CreditAccount>> {
    const addresses = [...new Set(accounts.map((a) => normalizeAddress(a)))];
    const out = new Map(addresses.map((a) => [a, emptyAccount(a)]));
    if (addresses.length === 0) return out;
    const rows = await this.#db
      .selectFrom("credit_accounts")
      .selectAll()
      .where("account", "in", addresses)
      .execute();
    for (const row of rows) out.set(row.account, toCreditAccount(row));
    return out;
  }
}
