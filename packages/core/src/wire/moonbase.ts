import { type Static, Type } from "typebox";
import { Address, Amount, DateTime, Nullable } from "./primitives.ts";

/**
 * Moonbase's paid access (SPEC §2.4): API keys for the OpenAI-compatible API, prices, plans, subscriptions and
 * the usage history. Amounts are FLOCK base units as decimal strings.
 */

// --- Prepaid credit (the UsageCredits contract) ---

/**
 * `GET /credits/:account`: an account's prepaid usage credit. `deposited`, `withdrawn`, `charged` (usage collected
 * on-chain) and the pending withdrawal are the UsageCredits events the coordinator indexed; `onChainBalance` is the
 * contract's balance read now (deposited − withdrawn − charged once the index has caught up).
 */
export const CreditAccount = Type.Object(
  {
    account: Address,
    deposited: Amount,
    withdrawn: Amount,
    charged: Amount,
    /** Requested for withdrawal and not yet withdrawn ("0" without a request). */
    pendingWithdrawal: Amount,
    /** When the pending request may be withdrawn; null without one. */
    pendingAvailableAt: Nullable(DateTime),
    onChainBalance: Amount,
  },
  { $id: "CreditAccount" },
);
export type CreditAccount = Static<typeof CreditAccount>;
