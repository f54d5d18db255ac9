import { FlockError } from "@flock/core";
import { distributeProRata, type EpochRevenueInput, type RevenueModelInput } from "@flock/protocol";
import {
  type ModelRecord,
  type UncollectedUsage,
  type UsageGroup,
  UsageSettlementRepository,
} from "@flock/store";
import type { AppContext } from "../deps.ts";
import { countedStakes } from "../stakes/freezeStakes.ts";

/** The revenue bucket of usage no registered model earned (unknown model, unspread subscription fees). */
export const UNATTRIBUTED_REVENUE = "unattributed";

/** An epoch's usage: what it collects and, when any FLOCK was charged, its revenue input for computeEpoch. */
export interface EpochUsage {
  usage: UncollectedUsage;
  revenue: EpochRevenueInput | null;
}

/** A model version's key in the report: `owner/slug@version`. */
const keyOf = (model: ModelRecord) => `${model.name}@${model.version}`;

/** The registered version a metered call was answered by: its registry id, else the name's latest version. */
async function modelOf(ctx: AppContext, group: UsageGroup): Promise<ModelRecord | null> {
  try {
    return await ctx.repos.models.get(group.modelId ?? group.model!);
  } catch (error) {
    // A model the registry does not know (or a name it cannot hold) earned its revenue for the treasury.
    if (
      error instanceof FlockError &&
      (error.code === "MODEL_NOT_FOUND" || error.code === "MODEL_NAME_MALFORMED")
    ) {
      return null;
    }
    throw error;
  }
}

/**
 * Who made a registered model, as revenue roles (SPEC §2.4): its trainers (weight 1 each, their stake on the task
 * that produced it as own stake, and their delegation pools with σ as set on-chain), its validators (weight 1
 * each), the contributors of its accepted FL rounds (by Σ contribution value under the `contribution` pay rule,
 * else by their stake), and no data miners (the registry does not name them yet: their share passes on).
 */
async function lineageOf(
  ctx: AppContext,
  model: ModelRecord,
  sigmas: ReadonlyMap<string, number>,
  period: { since: Date; upTo: Date },
): Promise<Omit<RevenueModelInput, "model" | "revenue">> {
  const lineage = model.lineage;
  const stakes = new Map(
    (await countedStakes(ctx.repos, model.taskId)).map((s) => [`${s.role}/${s.account}`, s.amount]),
  );
  const pool = async (account: string) => {
    const sigmaBps = sigmas.get(account);
    const delegators = (await ctx.repos.delegations.listForPool(account))
      .filter((d) => d.amount > 0n)
      .map((d) => {
        const from = Math.max(d.since.getTime(), period.since.getTime());
        return {
          account: d.delegator,
          amount: d.amount,
          seconds: BigInt(Math.max(0, Math.floor((period.upTo.getTime() - from) / 1000))),
        };
      });
    if (sigmaBps === undefined || delegators.length === 0) return {};
    return { sigmaBps, delegators };
  };
  const trainers = [];
  for (const account of new Set(lineage.trainers.map((t) => t.toLowerCase()))) {
    trainers.push({
      account,
      weight: 1n,
      stake: stakes.get(`trainer/${account}`) ?? 0n,
      ...(await pool(account)),
    });
  }
  const validators = [...new Set(lineage.validators.map((v) => v.account.toLowerCase()))].map((account) => ({
    account,
    weight: 1n,
  }));
  const flContributors = [];
  if (lineage.task.kind === "federated") {
    const byValue = lineage.payRule === "contribution";
    const value = new Map<string, bigint>();
    const stake = new Map<string, bigint>();
    for (const round of await ctx.repos.fl.listRounds(model.taskId)) {
      if (round.status !== "accepted") continue;
      for (const p of round.proposers) {
        const account = p.account.toLowerCase();
        if (!round.contributors.map((c) => c.toLowerCase()).includes(account)) continue;
        if (p.stake > (stake.get(account) ?? 0n)) stake.set(account, p.stake);
        if (!stake.has(account)) stake.set(account, 0n);
      }
      for (const c of round.contributions ?? []) {
        const account = c.account.toLowerCase();
        value.set(account, (value.get(account) ?? 0n) + c.valueWad);
      }
    }
    for (const [account, s] of stake) {
      flContributors.push({
        account,
        stake: s,
        ...(byValue ? { value: value.get(account) ?? 0n } : {}),
        ...(await pool(account)),
      });
    }
  }
  return { trainers, validators, flContributors, dataMiners: [] };
}

/**
 * The usage an epoch closing at `upTo` collects, and its revenue (SPEC §2.4): each payer's charge is Σ cost of
 * its uncollected records; each served model version earns the cost of the calls it answered; a subscription
 * fee is spread over the models its payer's plan calls used in the epoch, by tokens (floor; the remainder, and a
 * fee with no such call, to the treasury through the `unattributed` bucket, as is usage of an unregistered model).
 */
export async function epochUsage(
  ctx: AppContext,
  upTo: Date,
  sigmas: ReadonlyMap<string, number>,
): Promise<EpochUsage> {
  const settlement = new UsageSettlementRepository(ctx.db);
  let usage = await settlement.uncollected(upTo);
  // A payer whose on-chain credit cannot cover its charge (UsageCredits.collect would refuse the whole epoch)
  // is left out: its usage waits, uncollected, and the epoch settles everyone else's.
  const owed = new Map<string, bigint>();
  for (const g of usage.groups) owed.set(g.account, (owed.get(g.account) ?? 0n) + g.cost);
  const short: string[] = [];
  for (const [account, amount] of owed) {
    if (amount > 0n && (await ctx.chain.creditBalance(account)).balance < amount) short.push(account);
  }
  if (short.length > 0) {
    ctx.logger.warn({ accounts: short }, "usage left uncollected: on-chain credit below the charge");
    usage = await settlement.uncollected(upTo, { exclude: short });
  }
  if (usage.total === 0n) return { usage, revenue: null };
  const period = { since: usage.since ?? upTo, upTo };
  const revenueOf = new Map<string, bigint>();
  const models = new Map<string, ModelRecord | null>();
  const earn = (key: string, amount: bigint) => revenueOf.set(key, (revenueOf.get(key) ?? 0n) + amount);
  const keyOfGroup = async (group: UsageGroup) => {
    const model = await modelOf(ctx, group);
    const key = model === null ? UNATTRIBUTED_REVENUE : keyOf(model);
    models.set(key, model);
    return key;
  };
  const charges = new Map<string, bigint>();
  for (const group of usage.groups) {
    if (group.cost > 0n) charges.set(group.account, (charges.get(group.account) ?? 0n) + group.cost);
    if (group.model !== null && group.cost > 0n) earn(await keyOfGroup(group), group.cost);
  }
  for (const fee of usage.groups.filter((g) => g.model === null && g.cost > 0n)) {
    const calls = usage.groups.filter(
      (g) => g.account === fee.account && g.billing === "plan" && g.model !== null && g.tokens > 0n,
    );
    const spread = distributeProRata(
      fee.cost,
      calls.map((c) => c.tokens),
    );
    for (const [i, call] of calls.entries()) earn(await keyOfGroup(call), spread.amounts[i]!);
    if (spread.dust > 0n) {
      models.set(UNATTRIBUTED_REVENUE, null);
      earn(UNATTRIBUTED_REVENUE, spread.dust);
    }
  }
  const inputs: RevenueModelInput[] = [];
  for (const [key, revenue] of revenueOf) {
    if (revenue === 0n) continue;
    const model = models.get(key) ?? null;
    inputs.push({
      model: key,
      revenue,
      ...(model === null ? {} : await lineageOf(ctx, model, sigmas, period)),
    });
  }
  return {
    usage,
    revenue: {
      shares: ctx.config.revenueShares,
      models: inputs,
      charges: [...charges].map(([account, amount]) => ({ account, amount })),
    },
  };
}
