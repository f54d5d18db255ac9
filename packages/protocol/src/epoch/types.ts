import { BPS, WAD } from "@flock/core";
import type { RewardTree } from "../rewardTree.ts";
import type { ScoreDirection } from "../score.ts";
import type { AmountLike } from "../validate.ts";
import type { EpochFlTaskInput, FlTaskSettlement } from "./flEpoch.ts";
import type { RevenueModelInput, RevenueModelSplit, RevenueShares } from "./revenue.ts";

/** The largest task weight: weights are small whole numbers (a task's share of the Arena emission). */
export const MAX_TASK_WEIGHT = 1_000_000n;

/** The block whose hash seeded a task's validator draw (SPEC §2.1: the first block after the deadline). */
export interface DrawSeedInput {
  /** Decimal block number. */
  blockNumber: string;
  /** 0x-prefixed 32-byte block hash. */
  blockHash: string;
}

/**
 * A task finalized within the epoch: its share of the Arena emission (weight; 0 for a task not funded by
 * emission), the pool its creator funded on-chain, γ (bps, ≤ 5000) and which way its metric improves.
 */
export interface EpochTaskInput {
  id: string;
  /** Weight in the Arena emission split, 0 … MAX_TASK_WEIGHT. */
  weight: AmountLike;
  gammaBps: bigint | number;
  direction: ScoreDirection;
  /** FLOCK the creator funded on-chain for this task (RewardDistributor pool); default 0. */
  pool?: AmountLike;
  /** Who funded the pool: what the pool does not pay goes back to them. Required when pool > 0. */
  creator?: string;
  /** Audit: decimal block number at which the task's stakes were frozen (no effect on the arithmetic). */
  stakeSnapshotBlock?: string;
  /** Audit: the block whose hash seeded the validator draw (no effect on the arithmetic). */
  drawSeed?: DrawSeedInput;
}

/** A delegator of a trainer's pool: how much it delegated and for how many seconds of the epoch. */
export interface EpochDelegatorInput {
  account: string;
  amount: AmountLike;
  seconds: bigint | number;
}

/** A trainer's submission to a task, with the trainer's own stake and its delegation pool. */
export interface EpochSubmissionInput {
  id: string;
  task: string;
  account: string;
  /** The trainer's own stake (gmFLOCK base units). */
  stake: AmountLike;
  /** Stake delegated to the trainer's pool; optional, and when given it must equal Σ delegators' amounts. */
  delegatedStake?: AmountLike;
  /** The pool's σ (share of the delegation gain the trainer keeps), in bps; needed with delegators. */
  sigmaBps?: bigint | number;
  delegators?: readonly EpochDelegatorInput[];
  /**
   * The referee's bit-reproducible re-run of this submission's evaluation (SPEC §2.1): when present it IS the
   * submission's consensus, for its rank and for every validator's accuracy; the median is still reported.
   */
  refereedScore?: bigint;
}

/** A validator's signed score-reveal request, verbatim, so anyone can check the score against its signature. */
export interface ScoreRevealInput {
  address: string;
  timestamp: string;
  nonce: string;
  signature: string;
  method: string;
  path: string;
  body: string;
}

/** One score of a validator. */
export interface EpochScoreInput {
  submission: string;
  /** Fixed-point score (see scoreFromMetric). */
  score: bigint;
  /** Audit: the signed request that revealed this score (no effect on the arithmetic). */
  reveal?: ScoreRevealInput;
}

/** A validator's scores on one task's submissions. */
export interface EpochValidatorInput {
  account: string;
  task: string;
  stake: AmountLike;
  /** Assignments it completed on this task (the "work" of SPEC §2.1). */
  completedAssignments: bigint | number;
  /** Fixed-point scores (see scoreFromMetric), one per scored submission. */
  scores: readonly EpochScoreInput[];
}

/** A proven fault: a fraction of the account's stake is slashed, 10% to the prover (if any). */
export interface EpochSlashInput {
  account: string;
  stake: AmountLike;
  fractionBps: bigint | number;
  prover?: string | null;
  reason: string;
}

/**
 * A slash already executed on-chain (Slashing.slash, at the time the fault was proven): listed in the report
 * so anyone can check it against the chain's Slashed event and its evidence, but it pays nothing through the
 * epoch's trees (the prover and the treasury were paid by the contract) and stays out of conservation.
 */
export interface ExecutedSlashInput {
  /** The task whose stake was slashed (one of `tasks`). */
  task: string;
  account: string;
  /** gmFLOCK seized: floor(stake · fraction / 10000) as the contract computed it. */
  amount: AmountLike;
  /** Who was paid the prover's part, or null when no one was (then the treasury got all of it). */
  prover: string | null;
  /** floor(amount · 1000 / 10000) with a prover [Slashing.proverShareOf], else 0. */
  toProver: AmountLike;
  /** amount − toProver. */
  toTreasury: AmountLike;
  reason: string;
  /** Content id of the published evidence; its sha256 is the on-chain evidence hash. */
  evidence: string;
  /** The slash transaction, when known. */
  txHash?: string | null;
}

/** One payer's usage charges collected by the epoch (UsageCredits.collect). */
export interface EpochChargeInput {
  account: string;
  amount: AmountLike;
}

/**
 * Usage revenue settled by the epoch (SPEC §2.4): what each payer was charged (collected on-chain into the
 * RewardDistributor) and, per served model, its revenue and lineage. Σ charges must equal Σ model revenue.
 */
export interface EpochRevenueInput {
  /** The network's revenue shares (defaults: DEFAULT_REVENUE_SHARES). */
  shares?: Partial<RevenueShares>;
  models: readonly RevenueModelInput[];
  charges: readonly EpochChargeInput[];
}

/** The parameters of the epoch rules (network defaults in DEFAULT_EPOCH_PARAMS). */
export interface EpochParams {
  /** Consensus quantile κ, WAD. */
  kappaWad: bigint;
  /** Rank decay ρ, WAD. */
  rhoWad: bigint;
  /** Stake exponent β, WAD, a multiple of 1/256 in [0, 1]. */
  betaWad: bigint;
  /** Distance to consensus (in score units, 1e18 = 1.0) at which a score's accuracy reaches 0. */
  toleranceScore: bigint;
  sigmaMinBps: bigint | number;
  sigmaMaxBps: bigint | number;
  /** Share of trainer rewards that vests, bps. */
  vestingBps: bigint | number;
}

/**
 * Everything one epoch is computed from. An epoch is one period of the emission clock (one mint), network-wide
 * (SPEC §3): every task finalized within it shares its emission by weight, and brings its own funded pool.
 */
export interface EpochInputs {
  epoch: bigint | number;
  /** The epoch's emission E (one mint). The FL share E · S_FL / (S_arena + S_FL) is split off first. */
  emission: AmountLike;
  /**
   * S_FL beyond the listed FL tasks' own stake (default 0). With no FL task listed, the FL share is a treasury
   * line; with FL tasks, it pays their rounds (see `flTasks`).
   */
  flStake?: AmountLike;
  /** Federated tasks settled by the epoch (SPEC §2.2): S_FL includes their stake, E_FL pays their rounds. */
  flTasks?: readonly EpochFlTaskInput[];
  /** Which emission mint funds this epoch (decimal), for the audit. */
  mintIndex?: string;
  /** The named sink of rounding dust, unallocated emission, the FL share and slashed stake. */
  treasury: string;
  tasks: readonly EpochTaskInput[];
  submissions: readonly EpochSubmissionInput[];
  validators: readonly EpochValidatorInput[];
  slashes?: readonly EpochSlashInput[];
  /** Slashes executed on-chain before settlement: reported, never paid again (see ExecutedSlashInput). */
  executedSlashes?: readonly ExecutedSlashInput[];
  /** Usage revenue collected for the epoch, split over each model's lineage and paid liquid (see revenue.ts). */
  revenue?: EpochRevenueInput;
  params?: Partial<EpochParams>;
}

/** SPEC defaults: κ 0.5, ρ 0.8, β 0.5, tolerance 0.01 score units, σ ∈ [0, 100%], 90% vesting. */
export const DEFAULT_EPOCH_PARAMS: EpochParams = {
  kappaWad: WAD / 2n,
  rhoWad: (WAD * 8n) / 10n,
  betaWad: WAD / 2n,
  toleranceScore: WAD / 100n,
  sigmaMinBps: 0n,
  sigmaMaxBps: BPS,
  vestingBps: 9000n,
};

/** One account's rewards for the epoch: claimable now, and vesting. */
export interface EpochReward {
  account: `0x${string}`;
  liquid: bigint;
  vesting: bigint;
}

/** One executed slash. */
export interface EpochSlash {
  account: `0x${string}`;
  reason: string;
  stake: bigint;
  fractionBps: bigint;
  slashed: bigint;
  prover: `0x${string}` | null;
  toProver: bigint;
  toTreasury: bigint;
}

/** A slash executed on-chain, as validated and listed in the report. */
export interface EpochExecutedSlash {
  task: string;
  account: `0x${string}`;
  amount: bigint;
  prover: `0x${string}` | null;
  toProver: bigint;
  toTreasury: bigint;
  reason: string;
  evidence: `sha256:${string}`;
  txHash: `0x${string}` | null;
}

/** Where the treasury line comes from. */
export interface TreasuryLine {
  account: `0x${string}`;
  /** Floor remainders of every pro-rata split (the network's part of them, for a funded task). */
  dust: bigint;
  /** Emission no one could earn (a task without scored submissions, a pool with no weight). */
  unallocated: bigint;
  /** Slashed stake net of prover shares (and the prover share when no prover was named). */
  slashes: bigint;
  /** The FL share of the emission, held until FL Alliance pays its own participants. */
  fl: bigint;
  /** Usage revenue's treasury cut, with its rounding dust and what no lineage role could earn. */
  revenue: bigint;
  total: bigint;
}

/**
 * A creator-funded pool drawn by the epoch: all of it is taken from the on-chain pool, and what it did not pay
 * (no scored submission, no validators, rounding dust) goes back to the creator as a liquid reward.
 * refund = floor(unallocated_t · pool / R0) + floor(dust_t · pool / R0): the pool's pro-rata part of what the task
 * left unpaid (all of it when the task has no emission share).
 */
export interface EpochRefund {
  task: string;
  creator: `0x${string}`;
  pool: bigint;
  refund: bigint;
}

/** The computed epoch: rewards, slashes, every intermediate figure, the two trees and the report. */
export interface EpochResult {
  epoch: bigint;
  rewards: EpochReward[];
  slashes: EpochSlash[];
  /** Slashes executed on-chain, listed in the report (inputs.executedSlashes) and paid by no tree. */
  executedSlashes: EpochExecutedSlash[];
  treasury: TreasuryLine;
  /** One line per task with a funded pool: the pool drawn and the creator's refund. */
  refunds: EpochRefund[];
  /** Which emission mint funds the epoch, when given. */
  mintIndex: string | null;
  stages: EpochStages;
  trees: { liquid: RewardTree; vesting: RewardTree };
  /** Every input and output as a plain JSON object (amounts as decimal strings). */
  report: Record<string, unknown>;
  /** canonicalJson(report): the bytes that are hashed and published. */
  reportJson: string;
  /** sha256 of reportJson as 0x-prefixed bytes32 hex. */
  reportHash: `0x${string}`;
}

/** The intermediate figures of each named stage, as they appear in the report. */
export interface EpochStages {
  stakes: { task: string; trainerStake: bigint; validatorStake: bigint }[];
  /** FL vs Arena: E_FL = E · S_FL / (S_arena + S_FL) (floor), E_arena = E − E_FL. */
  emissionSplit: { arenaStake: bigint; flStake: bigint; fl: bigint; arena: bigint };
  /**
   * consensus: the one that ranks and scores accuracy — the refereed score when there is one, else the median.
   * median and refereedScore are given only for a refereed submission.
   */
  consensus: {
    submission: string;
    task: string;
    consensus: bigint | null;
    median?: bigint | null;
    refereedScore?: bigint;
  }[];
  ranks: { submission: string; rank: number | null }[];
  /** R0 = emission (the task's share of E_arena by weight) + pool; then γ splits R0. */
  splits: {
    task: string;
    emission: bigint;
    pool: bigint;
    r0: bigint;
    trainers: bigint;
    validators: bigint;
  }[];
  trainerShares: {
    submission: string;
    task: string;
    account: `0x${string}`;
    ownStake: bigint;
    delegatedStake: bigint;
    weight: bigint;
    weightWithoutDelegation: bigint;
    pw: bigint;
    po: bigint;
  }[];
  validatorShares: {
    task: string;
    account: `0x${string}`;
    stake: bigint;
    accuracyWad: bigint;
    work: bigint;
    weight: bigint;
    amount: bigint;
  }[];
  delegation: {
    submission: string;
    account: `0x${string}`;
    sigmaBps: bigint | null;
    effectiveSigmaBps: bigint | null;
    participant: bigint;
    pool: bigint;
    delegators: { account: `0x${string}`; amount: bigint; seconds: bigint; reward: bigint }[];
  }[];
  vesting: { submission: string; account: `0x${string}`; reward: bigint; vesting: bigint; liquid: bigint }[];
  /** Each FL task's share of E_FL, its rounds' outcomes and pay, what it left and its creator's refund. */
  fl: FlTaskSettlement[];
  /** Each served model's usage revenue split over its lineage (empty when the epoch settles no revenue). */
  revenue: RevenueModelSplit[];
}
