import { ConflictError, FlockError } from "@flock/core";
import { type TokenPrice, usageCost } from "@flock/protocol";
import {
  type ApiKeyRecord,
  type FlockDatabase,
  type Repositories,
  type SubscriptionRecord,
  type UsageRecord,
  withTransaction,
} from "@flock/store";
import type { Clock } from "../deps.ts";
import { type SpendableBalance, spendableBalance } from "./spendable.ts";

/** What one call holds while it runs: a worst-case reservation, then the bill for what it used. */
export interface Charge {
  billing: "balance" | "plan";
  /** Bill the tokens the call used (once; later calls return the same record) and release the reservation. */
  bill(promptTokens: number, completionTokens: number): Promise<UsageRecord>;
  /** Release the reservation without billing (the call failed). Does nothing once billed. */
  release(): void;
}

/** A call about to run: who pays, which model at which price, its prompt and its most completion tokens. */
export interface CallToMeter {
  key: ApiKeyRecord;
  model: string;
  modelId: number | null;
  promptTokens: number;
  maxCompletionTokens: number;
}

interface Held {
  amount: bigint;
  tokens: number;
}

/**
 * Meters Moonbase's API (SPEC §2.4). Before a call decodes, its worst case (prompt + max_tokens at the model's
 * prices, or those tokens against a plan's quota) is reserved under the payer's lock, so concurrent calls never
 * promise more than the balance or quota holds; afterwards the actual usage is billed as a usage record and the
 * reservation released. A call that fails is never billed.
 */
export class Meter {
  readonly #db: FlockDatabase["db"];
  readonly #repos: Repositories;
  readonly #clock: Clock;
  readonly #defaultPrice: TokenPrice;
  readonly #held = new Map<string, Held>();
  readonly #locks = new Map<string, Promise<unknown>>();

  constructor(options: {
    db: FlockDatabase["db"];
    repos: Repositories;
    clock: Clock;
    defaultPrice: TokenPrice;
  }) {
    this.#db = options.db;
    this.#repos = options.repos;
    this.#clock = options.clock;
    this.#defaultPrice = options.defaultPrice;
  }

  /** Run `work` alone among the account's reservations, subscriptions and bills. */
  async withAccountLock<T>(account: string, work: () => Promise<T>): Promise<T> {
    const before = this.#locks.get(account) ?? Promise.resolve();
    const run = before.then(work, work);
    const settled = run.catch(() => undefined);
    this.#locks.set(account, settled);
    try {
      return await run;
    } finally {
      if (this.#locks.get(account) === settled) this.#locks.delete(account);
    }
  }

  /** The model's price: the operator's, else the network default. */
  async priceOf(model: string): Promise<TokenPrice> {
    const own = await this.#repos.plans.priceOf(model);
    return own === undefined ? this.#defaultPrice : own;
  }

  /** The account's spendable balance less what its running calls have reserved. */
  async available(account: string): Promise<SpendableBalance & { reserved: bigint }> {
    // Reservations are read before the records: a call billed in between is counted twice, never zero times.
    const reserved = this.#held.get(account)?.amount ?? 0n;
    const balance = await spendableBalance(this.#repos, account);
    const left = balance.spendable - reserved;
    return { ...balance, reserved, spendable: left > 0n ? left : 0n };
  }

  /** Tokens of the subscription's quota used or reserved. */
  async planTokensUsed(subscription: SubscriptionRecord): Promise<number> {
    const reserved = this.#held.get(subscription.account)?.tokens ?? 0;
    return (
      reserved +
      (await this.#repos.usage.planTokensOf(subscription.account, subscription.startsAt, subscription.endsAt))
    );
  }

  /**
   * Reserve the call's worst case, or refuse it: 429 insufficient_quota (CREDIT_BALANCE_TOO_LOW,
   * PLAN_QUOTA_EXHAUSTED, SUBSCRIPTION_REQUIRED).
   */
  async reserve(call: CallToMeter): Promise<Charge> {
    const account = call.key.owner;
    const price = await this.priceOf(call.model);
    const worstTokens = call.promptTokens + call.maxCompletionTokens;
    return this.withAccountLock(account, async () => {
      if (call.key.plan !== null) {
        const subscription = await this.#repos.plans.activeSubscription(account, this.#clock.now());
        if (subscription === undefined || subscription.plan !== call.key.plan) {
          throw new FlockError(
            "SUBSCRIPTION_REQUIRED",
            `You have no running subscription to plan ${call.key.plan}, which this key bills`,
            {
              hint: `subscribe with POST /subscriptions {"plan":"${call.key.plan}"} (flock keys subscribe), or use a key without a plan to pay from your balance`,
              details: { plan: call.key.plan, openAiCode: "insufficient_quota" },
            },
          );
        }
        const used = await this.planTokensUsed(subscription);
        if (used + worstTokens > subscription.tokenQuota) {
          throw new FlockError(
            "PLAN_QUOTA_EXHAUSTED",
            `You exceeded your current quota: plan ${subscription.plan} has ${Math.max(0, subscription.tokenQuota - used)} of ${subscription.tokenQuota} tokens left until ${subscription.endsAt.toISOString()}, this call may use ${worstTokens}`,
            {
              hint: "ask for fewer tokens (max_tokens), wait for the next period, or pay from your balance with a key without a plan",
              details: {
                plan: subscription.plan,
                tokenQuota: subscription.tokenQuota,
                tokensUsed: used,
                needed: worstTokens,
                openAiCode: "insufficient_quota",
              },
            },
          );
        }
        return this.#hold(
          call,
          "plan",
          { amount: 0n, tokens: worstTokens },
          { promptPer1k: 0n, completionPer1k: 0n },
        );
      }
      const worst = usageCost(price, call.promptTokens, call.maxCompletionTokens);
      const { spendable } = await this.available(account);
      if (worst > spendable) throw balanceTooLow(account, worst, spendable);
      return this.#hold(call, "balance", { amount: worst, tokens: 0 }, price);
    });
  }

  /** Charge a subscription's fee to the prepaid balance and start it, or refuse (CREDIT_BALANCE_TOO_LOW). */
  async subscribe(account: string, planName: string): Promise<SubscriptionRecord> {
    const plan = await this.#repos.plans.getPlan(planName);
    return this.withAccountLock(account, async () => {
      const now = this.#clock.now();
      const running = await this.#repos.plans.activeSubscription(account, now);
      if (running !== undefined) {
        throw new ConflictError(
          "SUBSCRIPTION_ACTIVE",
          `${account} already has a subscription to ${running.plan} until ${running.endsAt.toISOString()}`,
          {
            hint: "subscribe again once it ends",
            details: { plan: running.plan, endsAt: running.endsAt.toISOString() },
          },
        );
      }
      if (plan.fee > 0n) {
        const { spendable } = await this.available(account);
        if (plan.fee > spendable) throw balanceTooLow(account, plan.fee, spendable);
      }
      return withTransaction(this.#db, async (repos) => {
        const subscription = await repos.plans.createSubscription({
          account,
          plan: plan.name,
          fee: plan.fee,
          tokenQuota: plan.tokenQuota,
          requestsPerMinute: plan.requestsPerMinute,
          startsAt: now,
          endsAt: new Date(now.getTime() + plan.periodSeconds * 1000),
        });
        await repos.usage.record({
          keyId: null,
          account,
          model: null,
          modelId: null,
          promptTokens: 0,
          completionTokens: 0,
          cost: plan.fee,
          billing: "subscription",
          createdAt: now,
        });
        return subscription;
      });
    });
  }

  #hold(call: CallToMeter, billing: "balance" | "plan", hold: Held, price: TokenPrice): Charge {
    const account = call.key.owner;
    const held = this.#held.get(account) ?? { amount: 0n, tokens: 0 };
    held.amount += hold.amount;
    held.tokens += hold.tokens;
    this.#held.set(account, held);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      held.amount -= hold.amount;
      held.tokens -= hold.tokens;
      if (held.amount === 0n && held.tokens === 0 && this.#held.get(account) === held)
        this.#held.delete(account);
    };
    let billed: Promise<UsageRecord> | undefined;
    return {
      billing,
      release: () => {
        if (billed === undefined) release();
      },
      bill: (promptTokens, completionTokens) => {
        billed ??= this.withAccountLock(account, async () => {
          try {
            return await this.#repos.usage.record({
              keyId: call.key.id,
              account,
              model: call.model,
              modelId: call.modelId,
              promptTokens,
              completionTokens,
              cost: usageCost(price, promptTokens, completionTokens),
              billing,
              createdAt: this.#clock.now(),
            });
          } finally {
            // The record is written (or the write failed): the reservation has done its work.
            release();
          }
        });
        return billed;
      },
    };
  }
}

function balanceTooLow(account: string, needed: bigint, spendable: bigint): FlockError {
  return new FlockError(
    "CREDIT_BALANCE_TOO_LOW",
    `You exceeded your current quota: ${account} can spend ${spendable} base units of FLOCK, this needs up to ${needed}`,
    {
      hint: "deposit FLOCK into UsageCredits (flock credits deposit), or ask for fewer tokens (max_tokens)",
      details: {
        account,
        needed: needed.toString(),
        spendable: spendable.toString(),
        openAiCode: "insufficient_quota",
      },
    },
  );
}
