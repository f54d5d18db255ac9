import { canonicalJson } from "@flock/core";
import { delegationSplit, timeWeightedSplit } from "../delegation.ts";
import { roleSplit, splitByTaskWeight, vestingSplit } from "../emissionSplit.ts";
import { distributeProRata } from "../proRata.ts";
import { rankByScore } from "../rank.ts";
import { buildRewardTree, type RewardTree, rewardProof } from "../rewardTree.ts";
import { slash } from "../slashing.ts";
import { stakeWeightedMedian } from "../stakeWeightedMedian.ts";
import { trainerWeight } from "../trainerShares.ts";
import { validatorAccuracyWad, validatorWeight } from "../validatorShares.ts";
import { epochReportHash } from "./reportHash.ts";
import type { EpochInputs, EpochResult, EpochSlash, EpochStages, TreasuryLine } from "./types.ts";
import { type NormalizedEpochInputs, validateEpochInputs } from "./validateEpochInputs.ts";

type Account = `0x${string}`;
type Inputs = NormalizedEpochInputs;

/** The running totals every stage pays into: per-account liquid and vesting, and the treasury line. */
class Ledger {
  readonly liquid = new Map<Account, bigint>();
  readonly vesting = new Map<Account, bigint>();
  dust = 0n;
  unallocated = 0n;
  slashes = 0n;

  payLiquid(account: Account, amount: bigint): void {
    this.liquid.set(account, (this.liquid.get(account) ?? 0n) + amount);
  }

  payVesting(account: Account, amount: bigint): void {
    this.vesting.set(account, (this.vesting.get(account) ?? 0n) + amount);
  }
}

/**
 * Compute one epoch from its inputs, as one pipeline of named stages (SPEC §2.1, §3):
 * validate → stakes → consensus → ranks → trainer weights → validator weights → task/role splits →
 * trainer and validator payouts → delegation → vesting → slashes → reward lists → Merkle trees → report.
 * Pure: the same inputs always give byte-identical reports. Conservation: Σ liquid + Σ vesting over all
 * accounts (treasury included) == emission + Σ slashed, exactly. Slashes already executed on-chain
 * (`executedSlashes`) are validated and listed in the report, and pay nothing here.
 */
export function computeEpoch(rawInputs: EpochInputs): EpochResult {
  const inputs = validateEpochInputs(rawInputs);
  const ledger = new Ledger();
  const stakes = stageStakes(inputs);
  const consensus = stageConsensus(inputs);
  const ranks = stageRanks(inputs, consensus);
  const trainerWeights = stageTrainerWeights(inputs, ranks);
  const validatorWeights = stageValidatorWeights(inputs, consensus);
  const splits = stageSplits(inputs, stakes, ledger);
  const pools = stageTrainerPayouts(inputs, splits, trainerWeights, ledger);
  const validatorShares = stageValidatorPayouts(inputs, splits, validatorWeights, ledger);
  const delegation = stageDelegation(inputs, pools, ledger);
  const vesting = stageVesting(inputs, delegation, ledger);
  const slashes = stageSlashes(inputs, ledger);
  const { rewards, treasury } = stageRewardLists(inputs, ledger);
  const trees = stageMerkleTrees(inputs.epoch, rewards);

  const stages: EpochStages = {
    stakes,
    consensus: inputs.submissions.map((s) => ({
      submission: s.id,
      task: s.task,
      consensus: consensus.get(s.id) ?? null,
    })),
    ranks: inputs.submissions.map((s) => ({ submission: s.id, rank: ranks.get(s.id) ?? null })),
    splits,
    trainerShares: pools,
    validatorShares,
    delegation,
    vesting,
  };
  const report = stageReport(inputs, stages, rewards, slashes, treasury, trees);
  const reportJson = canonicalJson(report);
  return {
    epoch: inputs.epoch,
    rewards,
    slashes,
    executedSlashes: inputs.executedSlashes,
    treasury,
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

/** Stage 3: consensus per submission = stake-weighted median (κ) of its scores; unscored → none. */
function stageConsensus(inputs: Inputs): Map<string, bigint> {
  const consensus = new Map<string, bigint>();
  const directionOf = new Map(inputs.tasks.map((t) => [t.id, t.direction]));
  for (const submission of inputs.submissions) {
    const direction = directionOf.get(submission.task)!;
    const scores = inputs.validators.flatMap((v) =>
      v.scores.filter((s) => s.submission === submission.id).map((s) => ({ score: s.score, stake: v.stake })),
    );
    if (scores.length === 0) continue;
    consensus.set(submission.id, stakeWeightedMedian(scores, direction, inputs.params.kappaWad));
  }
  return consensus;
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
    const pairs = v.scores.map((s) => ({ score: s.score, consensus: consensus.get(s.submission)! }));
    const accuracyWad = validatorAccuracyWad(pairs, inputs.params.toleranceScore);
    weights.set(`${v.task}/${v.account}`, {
      accuracyWad,
      weight: validatorWeight(v.stake, accuracyWad, v.completedAssignments, inputs.params.betaWad),
    });
  }
  return weights;
}

/** Stage 7: emission → tasks by weight (R0), then each R0 → trainers / validators by γ and stakes. */
function stageSplits(inputs: Inputs, stakes: EpochStages["stakes"], ledger: Ledger): EpochStages["splits"] {
  const byWeight = splitByTaskWeight(
    inputs.emission,
    inputs.tasks.map((t) => t.weight),
  );
  if (inputs.tasks.every((t) => t.weight === 0n)) ledger.unallocated += byWeight.dust;
  else ledger.dust += byWeight.dust;
  return inputs.tasks.map((task, i) => {
    const r0 = byWeight.amounts[i]!;
    const { trainerStake, validatorStake } = stakes[i]!;
    const split = roleSplit(r0, task.gammaBps, trainerStake, validatorStake);
    return { task: task.id, r0, trainers: split.trainers, validators: split.validators };
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
    if (w.every((x) => x === 0n)) ledger.unallocated += payout.dust;
    else ledger.dust += payout.dust;
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
    if (w.every((x) => x === 0n)) ledger.unallocated += payout.dust;
    else ledger.dust += payout.dust;
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
    if (s.delegators.every((d) => d.amount * d.seconds === 0n)) ledger.unallocated += inPool.dust;
    else ledger.dust += inPool.dust;
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

/** Stage 12: execute proven faults: 10% to the prover (liquid), the rest to the treasury. */
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

/** Stage 13: one line per account (sorted), the treasury line added to the treasury's liquid amount. */
function stageRewardLists(
  inputs: Inputs,
  ledger: Ledger,
): { rewards: EpochResult["rewards"]; treasury: TreasuryLine } {
  const treasury: TreasuryLine = {
    account: inputs.treasury,
    dust: ledger.dust,
    unallocated: ledger.unallocated,
    slashes: ledger.slashes,
    total: ledger.dust + ledger.unallocated + ledger.slashes,
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

/** Stage 14: the liquid and vesting trees of (epoch, account, amount) leaves. */
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

/** Stage 15: the report — every input and output — as plain JSON (bigints as decimal strings). */
function stageReport(
  inputs: Inputs,
  stages: EpochStages,
  rewards: EpochResult["rewards"],
  slashes: EpochSlash[],
  treasury: TreasuryLine,
  trees: EpochResult["trees"],
): Record<string, unknown> {
  const raw = {
    format: "flock-epoch-report/1",
    epoch: inputs.epoch,
    inputs: {
      emission: inputs.emission,
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
      tasks: inputs.tasks,
      submissions: inputs.submissions,
      validators: inputs.validators,
      slashes: inputs.slashes,
      // Listed (so the report hash covers them) only when there are any: reports without executed slashes
      // keep the bytes, and the hash, they had before the list existed.
      ...(inputs.executedSlashes.length === 0 ? {} : { executedSlashes: inputs.executedSlashes }),
    },
    stages,
    outputs: {
      rewards,
      slashes,
      treasury,
      totals: {
        emission: inputs.emission,
        slashed: slashes.reduce((sum, s) => sum + s.slashed, 0n),
        liquid: rewards.reduce((sum, r) => sum + r.liquid, 0n),
        vesting: rewards.reduce((sum, r) => sum + r.vesting, 0n),
      },
      liquidRoot: trees.liquid.root,
      vestingRoot: trees.vesting.root,
    },
  };
  return JSON.parse(canonicalJson(raw)) as Record<string, unknown>;
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
