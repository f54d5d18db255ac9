import { BPS, ValidationError } from "@flock/core";
import { delegationSplit, type SigmaBounds, timeWeightedSplit } from "../delegation.ts";
import { distributeProRata } from "../proRata.ts";
import {
  type AmountLike,
  assertUnique,
  normalizeAccount,
  readAmount,
  readBps,
  readCount,
  readSignedInteger,
} from "../validate.ts";

type Account = `0x${string}`;

/** The four lineage roles usage revenue is split among (SPEC §2.4). */
export const REVENUE_ROLES = ["trainers", "validators", "fl", "data"] as const;
export type RevenueRole = (typeof REVENUE_ROLES)[number];

/**
 * How a model's usage revenue is shared: the treasury's cut first (bps of the revenue), then the four lineage
 * roles' shares of what is left (bps; they sum to 10 000).
 */
export interface RevenueShares {
  treasuryBps: bigint | number;
  trainersBps: bigint | number;
  validatorsBps: bigint | number;
  flBps: bigint | number;
  dataBps: bigint | number;
}

/** Network defaults: treasury 10% of revenue; the rest 50% trainers, 20% validators, 20% FL, 10% data miners. */
export const DEFAULT_REVENUE_SHARES: Readonly<Record<keyof RevenueShares, bigint>> = {
  treasuryBps: 1000n,
  trainersBps: 5000n,
  validatorsBps: 2000n,
  flBps: 2000n,
  dataBps: 1000n,
};

/** A delegator of a participant's pool, as in the emission's delegation split. */
export interface RevenueDelegatorInput {
  account: string;
  amount: AmountLike;
  seconds: bigint | number;
}

/** A participant whose part passes through its delegation pool (a trainer, an FL contributor). */
export interface RevenuePoolInput {
  /** The participant's own stake; with delegators, its part without delegation is part · own / (own + Σ delegated). */
  stake?: AmountLike;
  /** The pool's σ in bps (share of the delegation gain the participant keeps); required with delegators. */
  sigmaBps?: bigint | number;
  delegators?: readonly RevenueDelegatorInput[];
}

/** One served model's revenue for the epoch and its lineage. */
export interface RevenueModelInput {
  /** The model's registry name. */
  model: string;
  /** FLOCK its calls were charged in the epoch (base units). */
  revenue: AmountLike;
  /** Trainers, by weight (e.g. the winner 1). */
  trainers?: readonly ({ account: string; weight: AmountLike } & RevenuePoolInput)[];
  /** Validators, by weight (e.g. their accuracy or stake on the task that accepted the model). */
  validators?: readonly { account: string; weight: AmountLike }[];
  /**
   * FL contributors, by contribution value (signed: a zero or negative value earns nothing); when no
   * contributor has a value, by `stake` (the stake rule).
   */
  flContributors?: readonly ({ account: string; value?: bigint } & RevenuePoolInput)[];
  /** Data miners, by weight (e.g. rows of their data the model was trained on). */
  dataMiners?: readonly { account: string; weight: AmountLike }[];
}

interface NormalizedPool {
  stake: bigint;
  sigmaBps: bigint | null;
  delegators: { account: Account; amount: bigint; seconds: bigint }[];
}

/** A model's revenue input after validation: bigints, lowercase accounts, lists sorted by account. */
export interface NormalizedRevenueModel {
  model: string;
  revenue: bigint;
  trainers: ({ account: Account; weight: bigint } & NormalizedPool)[];
  validators: { account: Account; weight: bigint }[];
  flContributors: ({ account: Account; value?: bigint } & NormalizedPool)[];
  dataMiners: { account: Account; weight: bigint }[];
}

export interface NormalizedRevenueShares {
  treasuryBps: bigint;
  trainersBps: bigint;
  validatorsBps: bigint;
  flBps: bigint;
  dataBps: bigint;
}

const byAccount = (a: { account: string }, b: { account: string }) =>
  a.account < b.account ? -1 : a.account > b.account ? 1 : 0;

/** Check revenue shares: each in [0, 10000] bps and the four role shares summing to exactly 10000. */
export function readRevenueShares(shares: Partial<RevenueShares> | undefined): NormalizedRevenueShares {
  const raw = { ...DEFAULT_REVENUE_SHARES, ...(shares ?? {}) };
  const out = {
    treasuryBps: readBps(raw.treasuryBps, "revenue treasuryBps"),
    trainersBps: readBps(raw.trainersBps, "revenue trainersBps"),
    validatorsBps: readBps(raw.validatorsBps, "revenue validatorsBps"),
    flBps: readBps(raw.flBps, "revenue flBps"),
    dataBps: readBps(raw.dataBps, "revenue dataBps"),
  };
  const roles = out.trainersBps + out.validatorsBps + out.flBps + out.dataBps;
  if (roles !== BPS) {
    throw new ValidationError(
      "REVENUE_SHARES_INVALID",
      `the revenue role shares sum to ${roles} bps, not ${BPS}`,
      {
        hint: "trainersBps + validatorsBps + flBps + dataBps must be 10000 (the treasury's cut is taken first)",
        details: { ...Object.fromEntries(Object.entries(out).map(([k, v]) => [k, String(v)])) },
      },
    );
  }
  return out;
}

function readPool(p: RevenuePoolInput, name: string, who: string): NormalizedPool {
  const delegators = (p.delegators ?? [])
    .map((d, i) => ({
      account: normalizeAccount(d.account, `${name}.delegators[${i}].account`),
      amount: readAmount(d.amount, `${name}.delegators[${i}].amount`),
      seconds: readCount(d.seconds, `${name}.delegators[${i}].seconds`),
    }))
    .sort(byAccount);
  assertUnique(
    delegators.map((d) => d.account),
    "delegator account in one pool",
  );
  const sigmaBps = p.sigmaBps === undefined ? null : readBps(p.sigmaBps, `${name}.sigmaBps`);
  if (sigmaBps === null && delegators.length > 0) {
    throw new ValidationError("SIGMA_MISSING", `${who} has delegators but no pool σ`, {
      hint: "give sigmaBps (the share of the delegation gain the participant keeps) for every pool",
    });
  }
  return { stake: readAmount(p.stake ?? 0n, `${name}.stake`), sigmaBps, delegators };
}

function readWeighted(
  list: readonly { account: string; weight: AmountLike }[] | undefined,
  name: string,
  what: string,
): { account: Account; weight: bigint }[] {
  const out = (list ?? [])
    .map((e, i) => ({
      account: normalizeAccount(e.account, `${name}[${i}].account`),
      weight: readAmount(e.weight, `${name}[${i}].weight`),
    }))
    .sort(byAccount);
  assertUnique(
    out.map((e) => e.account),
    what,
  );
  return out;
}

/** Validate and normalize the models' revenue inputs (sorted by model name; each list sorted by account). */
export function readRevenueModels(models: readonly RevenueModelInput[]): NormalizedRevenueModel[] {
  const out = models.map((m, i): NormalizedRevenueModel => {
    const name = `revenue.models[${i}]`;
    if (typeof m.model !== "string" || m.model === "") {
      throw new ValidationError("ID_INVALID", `${name}.model is not a non-empty string`, {
        hint: "name every model by its registry name",
      });
    }
    const trainers = (m.trainers ?? [])
      .map((t, j) => ({
        account: normalizeAccount(t.account, `${name}.trainers[${j}].account`),
        weight: readAmount(t.weight, `${name}.trainers[${j}].weight`),
        ...readPool(t, `${name}.trainers[${j}]`, `trainer ${t.account} of ${m.model}`),
      }))
      .sort(byAccount);
    assertUnique(
      trainers.map((t) => t.account),
      `trainer of model ${m.model}`,
    );
    const flContributors = (m.flContributors ?? [])
      .map((c, j) => ({
        account: normalizeAccount(c.account, `${name}.flContributors[${j}].account`),
        ...(c.value === undefined
          ? {}
          : { value: readSignedInteger(c.value, `${name}.flContributors[${j}].value`) }),
        ...readPool(c, `${name}.flContributors[${j}]`, `FL contributor ${c.account} of ${m.model}`),
      }))
      .sort(byAccount);
    assertUnique(
      flContributors.map((c) => c.account),
      `FL contributor of model ${m.model}`,
    );
    return {
      model: m.model,
      revenue: readAmount(m.revenue, `${name}.revenue`),
      trainers,
      validators: readWeighted(m.validators, `${name}.validators`, `validator of model ${m.model}`),
      flContributors,
      dataMiners: readWeighted(m.dataMiners, `${name}.dataMiners`, `data miner of model ${m.model}`),
    };
  });
  assertUnique(
    out.map((m) => m.model),
    "revenue model",
  );
  return out.sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));
}

/** One account's revenue from one model in one role; with a pool, what it kept and what its delegators got. */
export interface RevenuePayout {
  role: RevenueRole;
  account: Account;
  weight: bigint;
  /** Its part of the role's share (before its pool). */
  amount: bigint;
  /** What it keeps (amount − pool). */
  kept: bigint;
  /** With delegators: σ as clamped, the pool's part and each delegator's reward. */
  sigmaBps?: bigint;
  pool?: bigint;
  delegators?: { account: Account; amount: bigint; seconds: bigint; reward: bigint }[];
}

/** One model's revenue split, as the report's `revenue` stage shows it. */
export interface RevenueModelSplit {
  model: string;
  revenue: bigint;
  /** The treasury's cut: floor(revenue · treasuryBps / 10000). */
  treasury: bigint;
  /** revenue − treasury cut: what the lineage roles share. */
  net: bigint;
  /** Each role's share of net (absent roles' shares passed pro rata to the present ones). */
  roles: Record<RevenueRole, bigint>;
  payouts: RevenuePayout[];
  /** Floor remainders (role split, within roles, pools) → the treasury. */
  dust: bigint;
  /** Net no role could earn (no present role with a share) → the treasury. */
  unallocated: bigint;
}

/** What the revenue split pays, for the epoch's ledger. */
export interface RevenueSplit {
  models: RevenueModelSplit[];
  /** Liquid pay per account (participants and delegators), summed over models and roles, sorted. */
  pay: { account: Account; amount: bigint }[];
  /** Σ of the treasury cuts, dust and unallocated over the models. */
  treasury: bigint;
}

const sharesByRole = (s: NormalizedRevenueShares): Record<RevenueRole, bigint> => ({
  trainers: s.trainersBps,
  validators: s.validatorsBps,
  fl: s.flBps,
  data: s.dataBps,
});

/** The weights a role splits its share by: FL by positive contribution values, else by stake. */
function roleWeights(model: NormalizedRevenueModel, role: RevenueRole): bigint[] {
  switch (role) {
    case "trainers":
      return model.trainers.map((t) => t.weight);
    case "validators":
      return model.validators.map((v) => v.weight);
    case "data":
      return model.dataMiners.map((d) => d.weight);
    case "fl": {
      const byValue = model.flContributors.some((c) => c.value !== undefined);
      return model.flContributors.map((c) =>
        byValue ? (c.value !== undefined && c.value > 0n ? c.value : 0n) : c.stake,
      );
    }
  }
}

function roleEntries(
  model: NormalizedRevenueModel,
  role: RevenueRole,
): ({ account: Account } & Partial<NormalizedPool>)[] {
  switch (role) {
    case "trainers":
      return model.trainers;
    case "validators":
      return model.validators;
    case "data":
      return model.dataMiners;
    case "fl":
      return model.flContributors;
  }
}

/**
 * SPEC §2.4 / §3: split one model's usage revenue over its lineage.
 *  1. treasury cut = floor(revenue · treasuryBps / 10000); net = revenue − cut.
 *  2. A role is present when some member has a positive weight (FL: a positive contribution value, or stake when
 *     no contributor has a value). net splits pro rata the present roles' bps, so an absent role's share passes
 *     to the present ones in proportion to theirs; with no present role (or none with a share) net goes to the
 *     treasury (unallocated).
 *  3. Each role's share splits pro rata its members' weights (zero and negative values earn nothing).
 *  4. A trainer's or FL contributor's part passes through its pool: without delegation it would be
 *     po = floor(part · own / (own + Σ delegated)); the delegation split keeps po + σ(part − po) and the pool's
 *     (1 − σ)(part − po) goes to its delegators by amount × seconds (σ clamped to the network's bounds).
 *  Every floor remainder goes to the treasury as dust. Σ paid + treasury cut + dust + unallocated = revenue.
 */
export function splitModelRevenue(
  model: NormalizedRevenueModel,
  shares: NormalizedRevenueShares,
  sigma: SigmaBounds = { minBps: 0n, maxBps: BPS },
): RevenueModelSplit {
  const treasury = (model.revenue * shares.treasuryBps) / BPS;
  const net = model.revenue - treasury;
  const bps = sharesByRole(shares);
  const weights = Object.fromEntries(REVENUE_ROLES.map((r) => [r, roleWeights(model, r)])) as Record<
    RevenueRole,
    bigint[]
  >;
  const present = REVENUE_ROLES.map((r) => (weights[r].some((w) => w > 0n) ? bps[r] : 0n));
  const roleSplit = distributeProRata(net, present);
  const nobody = present.every((b) => b === 0n);
  let dust = nobody ? 0n : roleSplit.dust;
  const unallocated = nobody ? roleSplit.dust : 0n;
  const roles = Object.fromEntries(REVENUE_ROLES.map((r, i) => [r, roleSplit.amounts[i]!])) as Record<
    RevenueRole,
    bigint
  >;
  const payouts: RevenuePayout[] = [];
  for (const role of REVENUE_ROLES) {
    if (roles[role] === 0n) continue;
    const w = weights[role];
    const split = distributeProRata(roles[role], w);
    dust += split.dust;
    roleEntries(model, role).forEach((entry, i) => {
      const amount = split.amounts[i]!;
      if (amount === 0n) return;
      const row: RevenuePayout = { role, account: entry.account, weight: w[i]!, amount, kept: amount };
      const delegators = entry.delegators ?? [];
      if (delegators.length > 0) {
        const delegated = delegators.reduce((sum, d) => sum + d.amount, 0n);
        const own = entry.stake ?? 0n;
        const po = own + delegated === 0n ? 0n : (amount * own) / (own + delegated);
        const d = delegationSplit(amount, po, entry.sigmaBps, sigma);
        const inPool = timeWeightedSplit(d.pool, delegators);
        dust += inPool.dust;
        row.kept = d.participant;
        row.sigmaBps = d.sigmaBps;
        row.pool = d.pool;
        row.delegators = delegators.map((x, k) => ({
          account: x.account,
          amount: x.amount,
          seconds: x.seconds,
          reward: inPool.amounts[k]!,
        }));
      }
      payouts.push(row);
    });
  }
  return { model: model.model, revenue: model.revenue, treasury, net, roles, payouts, dust, unallocated };
}

/** Split every model's revenue (see splitModelRevenue) and sum the pay per account. */
export function splitRevenue(
  models: readonly NormalizedRevenueModel[],
  shares: NormalizedRevenueShares,
  sigma?: SigmaBounds,
): RevenueSplit {
  const splits = models.map((m) => splitModelRevenue(m, shares, sigma));
  const pay = new Map<Account, bigint>();
  const add = (account: Account, amount: bigint) => {
    if (amount > 0n) pay.set(account, (pay.get(account) ?? 0n) + amount);
  };
  let treasury = 0n;
  for (const split of splits) {
    treasury += split.treasury + split.dust + split.unallocated;
    for (const p of split.payouts) {
      add(p.account, p.kept);
      for (const d of p.delegators ?? []) add(d.account, d.reward);
    }
  }
  return {
    models: splits,
    pay: [...pay.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([account, amount]) => ({ account, amount })),
    treasury,
  };
}
