import { canonicalJson } from "@flock/core";
import { delegationSplit, timeWeightedSplit } from "../delegation.ts";
import { roleSplit, splitByTaskWeight, splitEmission, vestingSplit } from "../emissionSplit.ts";
import { distributeProRata } from "../proRata.ts";
import { rankByScore } from "../rank.ts";
import { buildRewardTree, type RewardTree, rewardProof } from "../rewardTree.ts";
import { slash } from "../slashing.ts";
import { stakeWeightedMedian } from "../stakeWeightedMedian.ts";
import { trainerWeight } from "../trainerShares.ts";
import { validatorAccuracyWad, validatorWeight } from "../validatorShares.ts";
import { settleFlTasks } from "./flEpoch.ts";
import { epochReportHash } from "./reportHash.ts";
import { type RevenueSplit, splitRevenue } from "./revenue.ts";
import type {
  EpochInputs,
  EpochRefund,
  EpochResult,
  EpochSlash,
  EpochStages,
  TreasuryLine,
} from "./types.ts";
import { type NormalizedEpochInputs, validateEpochInputs } from "./validateEpochInputs.ts";

type Account = `0x${string}`;
type Inputs = NormalizedEpochInputs;

type Leftover = "dust" | "unallocated";

/**
 * The running totals every stage pays into: per-account liquid and vesting, the treasury line, and what each
 * task left unpaid (shared at the end between its creator's pool and the network, see stageRefunds).
 */
class Ledger {
  readonly liquid = new Map<Account, bigint>();
  readonly vesting = new Map<Account, bigint>();
  readonly leftover = new Map<string, Record<Leftover, bigint>>();
  dust = 0n;
  unallocated = 0n;
  slashes = 0n;
  fl = 0n;
  revenue = 0n;

  /** A task's pot left `amount` unpaid: rounding dust, or nobody could earn it (all weights zero). */
  leave(task: string, kind: Leftover, amount: bigint): void {
    const left = this.leftover.get(task) ?? { dust: 0n, unallocated: 0n };
    left[kind] += amount;
    this.leftover.set(task, left);
  }

  payLiquid(account: Account, amount: bigint): void {
    this.liquid.set(account, (this.liquid.get(account) ?? 0n) + amount);
  }

  payVesting(account: Account, amount: bigint): void {
    this.vesting.set(account, (this.vesting.get(account) ?? 0n) + amount);
  }
}

/**
 * Compute one epoch from its inputs, as one pipeline of named stages (SPEC §2.1, §3):
 * validate → stakes → consensus → ranks → trainer weights → validator weights → FL/Arena and task/role splits →
 * trainer and validator payouts → delegation → vesting → refunds → slashes → usage revenue → reward lists →
 * Merkle trees → report.
 * An epoch is one emission period, network-wide: every task finalized within it shares the Arena part of its
 * emission by weight, and each creator-funded task adds its own pool to its R0.
 * Pure: the same inputs always give byte-identical reports. Conservation: Σ liquid + Σ vesting over all
 * accounts (treasury and creators included) == emission + Σ pools + Σ slashed + Σ usage charges, exactly. Slashes already
 * executed on-chain (`executedSlashes`) are validated and listed in the report, and pay nothing here.
 */
export function computeEpoch(rawInputs: EpochInputs): EpochResult {
  const inputs = validateEpochInputs(rawInputs);
  const ledger = new Ledger();
  const stakes = stageStakes(inputs);
  const consensusRows = stageConsensus(inputs);
  const consensus = new Map(
    consensusRows.filter((c) => c.consensus !== null).map((c) => [c.submission, c.consensus!]),
  );
  const ranks = stageRanks(inputs, consensus);
  const trainerWeights = stageTrainerWeights(inputs, ranks);
  const validatorWeights = stageValidatorWeights(inputs, consensus);
  const emissionSplit = stageEmissionSplit(inputs, stakes, ledger);
  const fl = stageFl(inputs, emissionSplit, ledger);
  const splits = stageSplits(inputs, emissionSplit, stakes, ledger);
  const pools = stageTrainerPayouts(inputs, splits, trainerWeights, ledger);
  const validatorShares = stageValidatorPayouts(inputs, splits, validatorWeights, ledger);
  const delegation = stageDelegation(inputs, pools, ledger);
  const vesting = stageVesting(inputs, delegation, ledger);
  const refunds = [...stageRefunds(inputs, splits, ledger), ...fl.refunds];
  const slashes = stageSlashes(inputs, ledger);
  const revenue = stageRevenue(inputs, ledger);
  const { rewards, treasury } = stageRewardLists(inputs, ledger);
  const trees = stageMerkleTrees(inputs.epoch, rewards);

  const stages: EpochStages = {
    stakes,
    emissionSplit,
    consensus: consensusRows,
    ranks: inputs.submissions.map((s) => ({ submission: s.id, rank: ranks.get(s.id) ?? null })),
    splits,
    trainerShares: pools,
    validatorShares,
    delegation,
    vesting,
    fl: fl.settlements,
    revenue: revenue.models,
  };
  const report = stageReport(inputs, stages, rewards, slashes, treasury, refunds, trees);
  const reportJson = canonicalJson(report);
  return {
    epoch: inputs.epoch,
    rewards,
    slashes,
    executedSlashes: inputs.executedSlashes,
    treasury,
    refunds,
    mintIndex: inputs.mintIndex,
    stages,
    trees,
    report,
    reportJson,
    reportHash: epochReportHash(report),
  };
}

/** Stage 2: per task, T = Σ trainers' own + delegated stake and V = Σ validators' stake. */
function stageStakes(inputs: Inputs): EpochStages["stakes"] {
  return inputs.tasks.map((task) => ({
    task: task.id,
    trainerStake: inputs.submissions
      .filter((s) => s.task === task.id)
      .reduce((sum, s) => sum + s.stake + s.delegatedStake, 0n),
    validatorStake: inputs.validators.filter((v) => v.task === task.id).reduce((sum, v) => sum + v.stake, 0n),
  }));
}

/**
 * Stage 3: consensus per submission = the stake-weighted median (Yuma, κ, in the task's direction) of its
 * scores; none when nobody with stake scored it. SPEC §2.1: a referee's re-run replaces it — the refereed score
 * then ranks the submission and measures every validator's accuracy, and the report shows both values.
 */
function stageConsensus(inputs: Inputs): EpochStages["consensus"] {
  const directionOf = new Map(inputs.tasks.map((t) => [t.id, t.direction]));
  return inputs.submissions.map((submission) => {
    const scores = inputs.validators.flatMap((v) =>
      v.scores.filter((s) => s.submission === submission.id).map((s) => ({ score: s.score, stake: v.stake })),
    );
    const median = scores.some((s) => s.stake > 0n)
      ? stakeWeightedMedian(scores, directionOf.get(submission.task)!, inputs.params.kappaWad)
      : null;
    const row = { submission: submission.id, task: submission.task };
    if (submission.refereedScore === undefined) return { ...row, consensus: median };
    return { ...row, consensus: submission.refereedScore, median, refereedScore: submission.refereedScore };
  });
}

/** Stage 4: rank the scored submissions of each task by consensus (best = 0, ties share a rank). */
function stageRanks(inputs: Inputs, consensus: Map<string, bigint>): Map<string, number> {
  const ranks = new Map<string, number>();
  for (const task of inputs.tasks) {
    const scored = inputs.submissions
      .filter((s) => s.task === task.id && consensus.has(s.id))
      .map((s) => ({ id: s.id, score: consensus.get(s.id)! }));
    for (const [id, rank] of rankByScore(scored, task.direction)) ranks.set(id, rank);
  }
  return ranks;
}

/** Stage 5: trainer weights ρ^rank × stake^β, with all stake (pw) and with own stake only (po). */
function stageTrainerWeights(
  inputs: Inputs,
  ranks: Map<string, number>,
): Map<string, { w: bigint; wo: bigint }> {
  const { rhoWad, betaWad } = inputs.params;
  const weights = new Map<string, { w: bigint; wo: bigint }>();
  for (const s of inputs.submissions) {
    const rank = ranks.get(s.id);
    if (rank === undefined) {
      weights.set(s.id, { w: 0n, wo: 0n });
      continue;
    }
    weights.set(s.id, {
      w: trainerWeight(rank, s.stake + s.delegatedStake, rhoWad, betaWad),
      wo: trainerWeight(rank, s.stake, rhoWad, betaWad),
    });
  }
  return weights;
}

/** Stage 6: validator weights stake^β × accuracy × work, accuracy from the distance to consensus. */
function stageValidatorWeights(
  inputs: Inputs,
  consensus: Map<string, bigint>,
): Map<string, { accuracyWad: bigint; weight: bigint }> {
  const weights = new Map<string, { accuracyWad: bigint; weight: bigint }>();
  for (const v of inputs.validators) {
    // A score on a submission without consensus (only stake-less validators scored it) measures nothing.
    const pairs = v.scores
      .filter((s) => consensus.has(s.submission))
      .map((s) => ({ score: s.score, consensus: consensus.get(s.submission)! }));
    const accuracyWad = validatorAccuracyWad(pairs, inputs.params.toleranceScore);
    weights.set(`${v.task}/${v.account}`, {
      accuracyWad,
      weight: validatorWeight(v.stake, accuracyWad, v.completedAssignments, inputs.params.betaWad),
    });
  }
  return weights;
}

/**
 * Stage 7a (SPEC §3): the epoch's emission splits FL vs Arena by stake, E_FL = E · S_FL / (S_arena + S_FL)
 * (floor), with S_arena = Σ over the epoch's tasks of trainer + validator stake and S_FL = the listed FL tasks'
 * stake (+ `flStake`). With no FL task listed, E_FL is the treasury's `fl` line; otherwise stage 7c pays it out.
 */
function stageEmissionSplit(
  inputs: Inputs,
  stakes: EpochStages["stakes"],
  ledger: Ledger,
): EpochStages["emissionSplit"] {
  const arenaStake = stakes.reduce((sum, s) => sum + s.trainerStake + s.validatorStake, 0n);
  const flStake = (inputs.flStake ?? 0n) + inputs.flTasks.reduce((sum, t) => sum + t.stake, 0n);
  const { fl, arena } = splitEmission(inputs.emission, arenaStake, flStake);
  if (inputs.flTasks.length === 0) ledger.fl += fl;
  return { arenaStake, flStake, fl, arena };
}

/**
 * Stage 7c (SPEC §2.2): E_FL and the FL tasks' pools pay their rounds by FLock's rule (`settleFlTasks`), liquid;
 * what the rounds leave goes back to each creator (its pool's part) and to the treasury.
 */
function stageFl(
  inputs: Inputs,
  emissionSplit: EpochStages["emissionSplit"],
  ledger: Ledger,
): ReturnType<typeof settleFlTasks> {
  const payouts = settleFlTasks(inputs.flTasks, inputs.flTasks.length === 0 ? 0n : emissionSplit.fl);
  for (const { account, amount } of payouts.pay) ledger.payLiquid(account, amount);
  for (const refund of payouts.refunds) ledger.payLiquid(refund.creator, refund.refund);
  ledger.dust += payouts.dust;
  ledger.unallocated += payouts.unallocated;
  return payouts;
}

/**
 * Stage 7b: E_arena → tasks by weight (weight 0: no emission share), R0 = share + the task's funded pool,
 * then each R0 → trainers / validators by γ and stakes.
 */
function stageSplits(
  inputs: Inputs,
  emissionSplit: EpochStages["emissionSplit"],
  stakes: EpochStages["stakes"],
  ledger: Ledger,
): EpochStages["splits"] {
  const byWeight = splitByTaskWeight(
    emissionSplit.arena,
    inputs.tasks.map((t) => t.weight),
  );
  if (inputs.tasks.every((t) => t.weight === 0n)) ledger.unallocated += byWeight.dust;
  else ledger.dust += byWeight.dust;
  return inputs.tasks.map((task, i) => {
    const emission = byWeight.amounts[i]!;
    const r0 = emission + task.pool;
    const { trainerStake, validatorStake } = stakes[i]!;
    const split = roleSplit(r0, task.gammaBps, trainerStake, validatorStake);
    return {
      task: task.id,
      emission,
      pool: task.pool,
      r0,
      trainers: split.trainers,
      validators: split.validators,
    };
  });
}

/** Stage 8: each task's trainer pool ∝ weights (pw); po = the same split with only own stake. */
function stageTrainerPayouts(
  inputs: Inputs,
  splits: EpochStages["splits"],
  weights: Map<string, { w: bigint; wo: bigint }>,
  ledger: Ledger,
): EpochStages["trainerShares"] {
  const rows: EpochStages["trainerShares"] = [];
  for (const split of splits) {
    const entries = inputs.submissions.filter((s) => s.task === split.task);
    const w = entries.map((s) => weights.get(s.id)!.w);
    const payout = distributeProRata(split.trainers, w);
    ledger.leave(split.task, w.every((x) => x === 0n) ? "unallocated" : "dust", payout.dust);
    const total = w.reduce((a, b) => a + b, 0n);
    entries.forEach((s, i) => {
      const { wo } = weights.get(s.id)!;
      // po: the reward this trainer would get with only its own stake, every other weight unchanged.
      const othersAndOwn = total - w[i]! + wo;
      const po = othersAndOwn === 0n ? 0n : (split.trainers * wo) / othersAndOwn;
      rows.push({
        submission: s.id,
        task: s.task,
        account: s.account,
        ownStake: s.stake,
        delegatedStake: s.delegatedStake,
        weight: w[i]!,
        weightWithoutDelegation: wo,
        pw: payout.amounts[i]!,
        po,
      });
    });
  }
  return rows;
}

/** Stage 9: each task's validator pool ∝ stake^β × accuracy × work, paid liquid. */
function stageValidatorPayouts(
  inputs: Inputs,
  splits: EpochStages["splits"],
  weights: Map<string, { accuracyWad: bigint; weight: bigint }>,
  ledger: Ledger,
): EpochStages["validatorShares"] {
  const rows: EpochStages["validatorShares"] = [];
  for (const split of splits) {
    const entries = inputs.validators.filter((v) => v.task === split.task);
    const w = entries.map((v) => weights.get(`${v.task}/${v.account}`)!.weight);
    const payout = distributeProRata(split.validators, w);
    ledger.leave(split.task, w.every((x) => x === 0n) ? "unallocated" : "dust", payout.dust);
    entries.forEach((v, i) => {
      ledger.payLiquid(v.account, payout.amounts[i]!);
      rows.push({
        task: v.task,
        account: v.account,
        stake: v.stake,
        accuracyWad: weights.get(`${v.task}/${v.account}`)!.accuracyWad,
        work: v.completedAssignments,
        weight: w[i]!,
        amount: payout.amounts[i]!,
      });
    });
  }
  return rows;
}

/** Stage 10: the trainer keeps po + σ(pw − po); the pool's (1 − σ)(pw − po) splits by amount × seconds. */
function stageDelegation(
  inputs: Inputs,
  pools: EpochStages["trainerShares"],
  ledger: Ledger,
): EpochStages["delegation"] {
  return pools.map((row) => {
    const s = inputs.submissions.find((x) => x.id === row.submission)!;
    if (s.delegators.length === 0) {
      return {
        submission: s.id,
        account: s.account,
        sigmaBps: s.sigmaBps,
        effectiveSigmaBps: null,
        participant: row.pw,
        pool: 0n,
        delegators: [],
      };
    }
    const split = delegationSplit(row.pw, row.po, s.sigmaBps, inputs.params.sigma);
    const inPool = timeWeightedSplit(split.pool, s.delegators);
    const nobody = s.delegators.every((d) => d.amount * d.seconds === 0n);
    ledger.leave(s.task, nobody ? "unallocated" : "dust", inPool.dust);
    const delegators = s.delegators.map((d, i) => {
      ledger.payLiquid(d.account, inPool.amounts[i]!);
      return { account: d.account, amount: d.amount, seconds: d.seconds, reward: inPool.amounts[i]! };
    });
    return {
      submission: s.id,
      account: s.account,
      sigmaBps: s.sigmaBps,
      effectiveSigmaBps: split.sigmaBps,
      participant: split.participant,
      pool: split.pool,
      delegators,
    };
  });
}

/** Stage 11: the trainer's kept reward vests (vestingBps) and the rest is liquid. */
function stageVesting(
  inputs: Inputs,
  delegation: EpochStages["delegation"],
  ledger: Ledger,
): EpochStages["vesting"] {
  return delegation.map((row) => {
    const split = vestingSplit(row.participant, inputs.params.vestingBps);
    ledger.payVesting(row.account, split.vesting);
    ledger.payLiquid(row.account, split.liquid);
    return { submission: row.submission, account: row.account, reward: row.participant, ...split };
  });
}

/**
 * Stage 12: what each task left unpaid, shared between its creator and the network in proportion to what each
 * put into R0 (SPEC §3: a funded pool is the creator's money, not the treasury's):
 *   refund_t = floor(unallocated_t · pool_t / R0_t) + floor(dust_t · pool_t / R0_t) → the creator, liquid;
 *   the rest → the treasury's unallocated and dust lines.
 * A task funded only by its pool gives back all it left unpaid; one funded only by emission gives back nothing.
 */
function stageRefunds(inputs: Inputs, splits: EpochStages["splits"], ledger: Ledger): EpochRefund[] {
  const refunds: EpochRefund[] = [];
  inputs.tasks.forEach((task, i) => {
    const { r0 } = splits[i]!;
    const left = ledger.leftover.get(task.id) ?? { dust: 0n, unallocated: 0n };
    const back = (amount: bigint): bigint => (r0 === 0n ? 0n : (amount * task.pool) / r0);
    const unallocated = back(left.unallocated);
    const dust = back(left.dust);
    ledger.unallocated += left.unallocated - unallocated;
    ledger.dust += left.dust - dust;
    if (task.pool === 0n) return;
    const refund = unallocated + dust;
    ledger.payLiquid(task.creator!, refund);
    refunds.push({ task: task.id, creator: task.creator!, pool: task.pool, refund });
  });
  return refunds;
}

/** Stage 13: execute proven faults: 10% to the prover (liquid), the rest to the treasury. */
function stageSlashes(inputs: Inputs, ledger: Ledger): EpochSlash[] {
  return inputs.slashes.map((event) => {
    const s = slash(event.stake, event.fractionBps);
    const toProver = event.prover === null ? 0n : s.toProver;
    if (event.prover !== null) ledger.payLiquid(event.prover, toProver);
    ledger.slashes += s.slashed - toProver;
    return {
      account: event.account,
      reason: event.reason,
      stake: event.stake,
      fractionBps: event.fractionBps,
      slashed: s.slashed,
      prover: event.prover,
      toProver,
      toTreasury: s.slashed - toProver,
    };
  });
}

/**
 * Stage 13b (SPEC §2.4): the usage revenue the epoch collected, split over each model's lineage (treasury cut,
 * role shares, pools by σ: see splitModelRevenue), paid liquid — revenue does not vest. The treasury's cut, the
 * floor dust and what no role could earn make the treasury's `revenue` line.
 */
function stageRevenue(inputs: Inputs, ledger: Ledger): RevenueSplit {
  if (inputs.revenue === null) return { models: [], pay: [], treasury: 0n };
  const split = splitRevenue(inputs.revenue.models, inputs.revenue.shares, inputs.params.sigma);
  for (const { account, amount } of split.pay) ledger.payLiquid(account, amount);
  ledger.revenue += split.treasury;
  return split;
}

/** Stage 14: one line per account (sorted), the treasury line added to the treasury's liquid amount. */
function stageRewardLists(
  inputs: Inputs,
  ledger: Ledger,
): { rewards: EpochResult["rewards"]; treasury: TreasuryLine } {
  const treasury: TreasuryLine = {
    account: inputs.treasury,
    dust: ledger.dust,
    unallocated: ledger.unallocated,
    slashes: ledger.slashes,
    fl: ledger.fl,
    revenue: ledger.revenue,
    total: ledger.dust + ledger.unallocated + ledger.slashes + ledger.fl + ledger.revenue,
  };
  ledger.payLiquid(inputs.treasury, treasury.total);
  const accounts = [...new Set([...ledger.liquid.keys(), ...ledger.vesting.keys()])].sort();
  const rewards = accounts
    .map((account) => ({
      account,
      liquid: ledger.liquid.get(account) ?? 0n,
      vesting: ledger.vesting.get(account) ?? 0n,
    }))
    .filter((r) => r.liquid > 0n || r.vesting > 0n);
  return { rewards, treasury };
}

/** Stage 15: the liquid and vesting trees of (epoch, account, amount) leaves. */
function stageMerkleTrees(epoch: bigint, rewards: EpochResult["rewards"]): EpochResult["trees"] {
  return {
    liquid: buildRewardTree(
      epoch,
      rewards.map((r) => ({ account: r.account, amount: r.liquid })),
    ),
    vesting: buildRewardTree(
      epoch,
      rewards.map((r) => ({ account: r.account, amount: r.vesting })),
    ),
  };
}

/**
 * Stage 16: the report — every input and output — as plain JSON (bigints as decimal strings).
 * Keys added with network-wide epochs (FL share, pools and refunds, refereed scores, audit fields, mint index)
 * appear only when they carry something, so an epoch without them keeps the bytes, and the hash, it had before.
 */
function stageReport(
  inputs: Inputs,
  stages: EpochStages,
  rewards: EpochResult["rewards"],
  slashes: EpochSlash[],
  treasury: TreasuryLine,
  refunds: EpochRefund[],
  trees: EpochResult["trees"],
): Record<string, unknown> {
  const withFl = inputs.flStake !== null || inputs.flTasks.length > 0;
  const pools = refunds.reduce((sum, r) => sum + r.pool, 0n);
  const raw = {
    format: "flock-epoch-report/1",
    epoch: inputs.epoch,
    inputs: {
      emission: inputs.emission,
      flStake: inputs.flStake ?? undefined,
      mintIndex: inputs.mintIndex ?? undefined,
      treasury: inputs.treasury,
      params: {
        kappaWad: inputs.params.kappaWad,
        rhoWad: inputs.params.rhoWad,
        betaWad: inputs.params.betaWad,
        toleranceScore: inputs.params.toleranceScore,
        sigmaMinBps: inputs.params.sigma.minBps,
        sigmaMaxBps: inputs.params.sigma.maxBps,
        vestingBps: inputs.params.vestingBps,
      },
      tasks: inputs.tasks.map((t) => ({ ...t, pool: t.pool === 0n ? undefined : t.pool })),
      submissions: inputs.submissions,
      validators: inputs.validators,
      slashes: inputs.slashes,
      // Listed (so the report hash covers them) only when there are any: reports without executed slashes
      // keep the bytes, and the hash, they had before the list existed.
      ...(inputs.executedSlashes.length === 0 ? {} : { executedSlashes: inputs.executedSlashes }),
      ...(inputs.flTasks.length === 0 ? {} : { flTasks: inputs.flTasks }),
      ...(inputs.revenue === null ? {} : { revenue: revenueInputsReport(inputs.revenue) }),
    },
    stages: {
      ...stages,
      fl: stages.fl.length === 0 ? undefined : stages.fl,
      revenue: inputs.revenue === null ? undefined : stages.revenue,
      emissionSplit: withFl ? stages.emissionSplit : undefined,
      splits: stages.splits.map((s) => (s.pool === 0n ? { ...s, emission: undefined, pool: undefined } : s)),
    },
    outputs: {
      rewards,
      slashes,
      treasury: {
        ...treasury,
        fl: withFl ? treasury.fl : undefined,
        revenue: inputs.revenue === null ? undefined : treasury.revenue,
      },
      refunds: refunds.length === 0 ? undefined : refunds,
      totals: {
        emission: inputs.emission,
        pools: refunds.length === 0 ? undefined : pools,
        slashed: slashes.reduce((sum, s) => sum + s.slashed, 0n),
        revenue:
          inputs.revenue === null ? undefined : inputs.revenue.charges.reduce((sum, c) => sum + c.amount, 0n),
        liquid: rewards.reduce((sum, r) => sum + r.liquid, 0n),
        vesting: rewards.reduce((sum, r) => sum + r.vesting, 0n),
      },
      liquidRoot: trees.liquid.root,
      vestingRoot: trees.vesting.root,
    },
  };
  return JSON.parse(canonicalJson(raw)) as Record<string, unknown>;
}

/** The revenue inputs as the report lists them: pool fields only where a pool exists. */
function revenueInputsReport(revenue: NonNullable<Inputs["revenue"]>): Record<string, unknown> {
  const pool = (p: { stake: bigint; sigmaBps: bigint | null; delegators: unknown[] }) => ({
    stake: p.stake === 0n ? undefined : p.stake,
    sigmaBps: p.sigmaBps ?? undefined,
    delegators: p.delegators.length === 0 ? undefined : p.delegators,
  });
  return {
    shares: revenue.shares,
    charges: revenue.charges,
    models: revenue.models.map((m) => ({
      model: m.model,
      revenue: m.revenue,
      trainers: m.trainers.map((t) => ({ account: t.account, weight: t.weight, ...pool(t) })),
      validators: m.validators,
      flContributors: m.flContributors.map((c) => ({ account: c.account, value: c.value, ...pool(c) })),
      dataMiners: m.dataMiners,
    })),
  };
}

/** The claim of `account` from one of the epoch's two trees: amount and Merkle proof. */
export function epochRewardProof(
  result: EpochResult,
  tree: "liquid" | "vesting",
  account: string,
): { root: `0x${string}`; amount: bigint; proof: `0x${string}`[] } {
  const chosen: RewardTree = tree === "liquid" ? result.trees.liquid : result.trees.vesting;
  return { root: chosen.root, ...rewardProof(chosen, account) };
}
