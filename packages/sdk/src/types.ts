import type { wire } from "@flock/core";

/**
 * The coordinator's resources as the SDK returns them. The JSON each is parsed from is core's wire type (one
 * definition, shared with the coordinator's route schemas); the SDK turns amounts and scores into bigint and
 * keeps times as ISO 8601 strings.
 */

export type TaskType = wire.TaskType;
export type TaskStatus = wire.TaskStatus;
export type SubmissionStatus = wire.SubmissionStatus;
export type AssignmentStatus = wire.AssignmentStatus;
export type ContentId = wire.ContentId;
export type Hex = `0x${string}`;

/** `wire.Task` with its amounts as bigint (`rewardWeight`, `minStake`, `pool`, `approvedWeight`). */
export type Task = Omit<wire.Task, "rewardWeight" | "minStake" | "pool" | "approvedWeight"> & {
  rewardWeight: bigint;
  minStake: bigint;
  /** FLOCK base units its creator funds on-chain before it opens (absent on tasks from before funding terms). */
  pool?: bigint;
  /** The emission weight an operator approved; null until one does (`rewardWeight` is only what was asked). */
  approvedWeight?: bigint | null;
};

/**
 * What `tasks.create` takes: core's wire `CreateTaskRequest` (what is sent) with amounts as bigint, times as
 * Date or ISO text and content ids as text.
 */
export type NewTask = Omit<
  wire.CreateTaskRequest,
  | "baseModel"
  | "trainingSetId"
  | "validationCommitment"
  | "submissionDeadline"
  | "endTime"
  | "rewardWeight"
  | "pool"
  | "minStake"
> & {
  baseModel: string;
  trainingSetId: string;
  /** sha256 content id of the hidden validation set (uploaded later with `uploadValidationSet`). */
  validationCommitment: string;
  submissionDeadline: Date | string;
  endTime: Date | string;
  /** The emission weight asked for (0–1,000,000); paid once an operator approves it. */
  rewardWeight: bigint;
  /** FLOCK base units the creator funds on-chain (RewardDistributor.fundTask) before the task opens. */
  pool?: bigint;
  minStake: bigint;
};

/** Liveness, what requests are signed for, jobs stopped for the operator (`GET /health`). */
export type Health = wire.Health;
/** What a coordinator tells nodes that join its network (`GET /network`). */
export type NetworkDescription = wire.Network;
/** A published artifact (SPEC §4): content-addressed, served to anyone. */
export type PublicArtifact = wire.PublicArtifact;

export interface Page<T> {
  items: T[];
  /** Pass as `after` for the next page; absent on the last page. */
  next?: number;
}

export type Submission = wire.Submission;
export type Assignment = wire.Assignment;

/** `wire.Score` with the fixed-point score (1e18 = 1.0) as bigint. */
export type Score = Omit<wire.Score, "score"> & { score: bigint };

/** `wire.LeaderboardEntry` with the consensus score as bigint (null before the reveals close). */
export type LeaderboardEntry = Omit<wire.LeaderboardEntry, "consensusScore"> & {
  consensusScore: bigint | null;
};

export type Epoch = wire.Epoch;

/** `wire.Claim` with its amount as bigint. */
export type Claim = Omit<wire.Claim, "amount"> & { amount: bigint };

export type EpochProofs = Omit<wire.EpochProofs, "liquid" | "vesting"> & {
  liquid: Claim | null;
  vesting: Claim | null;
};

export interface LiveEvent {
  id: number;
  type: string;
  data: Record<string, unknown>;
}

export type FlModelType = wire.FlModelType;
export type FlPrivacyMode = wire.FlPrivacyMode;
export type FlTaskStatus = wire.FlTaskStatus;
export type FlRoundStatus = wire.FlRoundStatus;
export type FlMessage = wire.FlMessage;
export type FlMessages = wire.FlMessages;
export type FlReplyRequest = wire.FlReplyRequest;

/** `wire.FlTask` with its amounts as bigint (`rewardWeight`, `pool`, `remainingPool`, `approvedWeight`, `minStake`). */
export type FlTask = Omit<
  wire.FlTask,
  "rewardWeight" | "pool" | "remainingPool" | "approvedWeight" | "minStake"
> & {
  rewardWeight: bigint;
  pool: bigint;
  remainingPool: bigint;
  approvedWeight: bigint | null;
  minStake: bigint;
};

/**
 * What `fl.create` takes: core's wire `CreateFlTaskRequest` with amounts as bigint, the join deadline as Date
 * or ISO text and the base model's content id as text.
 */
export type NewFlTask = Omit<
  wire.CreateFlTaskRequest,
  "baseModel" | "joinDeadline" | "rewardWeight" | "pool" | "minStake"
> & {
  baseModel: string;
  joinDeadline: Date | string;
  rewardWeight: bigint;
  pool?: bigint;
  minStake: bigint;
};

/** `wire.FlParticipant` with its stake as bigint. */
export type FlParticipant = Omit<wire.FlParticipant, "stake"> & { stake: bigint };

/** `wire.FlRound` with stakes, rewards, slashes and the tally as bigint. */
export type FlRound = Omit<wire.FlRound, "proposers" | "voters" | "tally" | "rewards" | "slashes"> & {
  proposers: { account: string; stake: bigint }[];
  voters: (Omit<wire.FlRound["voters"][number], "stake"> & { stake: bigint })[];
  tally: bigint | null;
  rewards: { account: string; amount: bigint }[];
  slashes: { account: string; amount: bigint }[];
};
