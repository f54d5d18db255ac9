import type { wire } from "@flock/core";
import type { FastifyInstance } from "fastify";
import type { AppContext } from "../deps.ts";
import { errorResponses } from "../http/schemas.ts";
import { wireRef } from "../http/wireSchemas.ts";
import { type CreditAccountView, creditAccount } from "./creditAccount.ts";

/** The wire form of an account's credit: amounts as decimal strings, the request's time as ISO 8601. */
export function creditAccountJson(view: CreditAccountView): wire.CreditAccount {
  return {
    account: view.account as `0x${string}`,
    deposited: view.deposited.toString(),
    withdrawn: view.withdrawn.toString(),
    charged: view.charged.toString(),
    pendingWithdrawal: view.pendingWithdrawal.toString(),
    pendingAvailableAt: view.pendingAvailableAt?.toISOString() ?? null,
    onChainBalance: view.onChainBalance.toString(),
    uncollected: view.uncollected.toString(),
    spendable: view.spendable.toString(),
  };
}

/** `GET /credits/:account`: public, like balances on-chain — an account's prepaid usage credit. */
export function registerCreditRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get<{ Params: { account: string } }>(
    "/credits/:account",
    {
      schema: {
        summary: "An account's prepaid usage credit (UsageCredits deposits, withdrawals, collected usage)",
        tags: ["credits"],
        params: {
          type: "object",
          required: ["account"],
          properties: { account: { type: "string", minLength: 1, maxLength: 100 } },
        },
        response: { 200: wireRef("CreditAccount"), ...errorResponses },
      },
    },
    async (request) => creditAccountJson(await creditAccount(ctx, request.params.account)),
  );
}
