import type { wire } from "@flock/core";

type NotAmount = "account" | "pendingAvailableAt";

/**
 * An account's prepaid usage credit (`GET /credits/:account`) with its amounts as bigint and the pending
 * withdrawal's time as a Date (null without a request).
 */
export type CreditAccount = {
  [K in Exclude<keyof wire.CreditAccount, NotAmount>]: bigint;
} & {
  account: wire.CreditAccount["account"];
  pendingAvailableAt: Date | null;
};

/** Parses the wire form: every field but the account and the time is a decimal amount. */
export function toCreditAccount(body: wire.CreditAccount): CreditAccount {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === "account") out[key] = value;
    else if (key === "pendingAvailableAt") out[key] = value === null ? null : new Date(value as string);
    else out[key] = BigInt(value as string);
  }
  return out as CreditAccount;
}
