/** The coordinator's resources as the SDK returns them: amounts and scores as bigint, times as ISO 8601. */

export type TaskType = "lm-lora" | "lm-full" | "classifier" | "regressor";
export type TaskStatus = "draft" | "open" | "validating" | "finalized" | "closed";
export type SubmissionStatus = "committed" | "uploaded" | "accepted" | "rejected" | "copy" | "replaced";
export type AssignmentStatus = "open" | "committed" | "reported" | "timed_out" | "refused" | "unrevealed";
export type ContentId = `sha256:${string}`;
export type Hex = `0x${string}`;

export interface Task {
  id: number;
  title: string;
  description: string;
  type: TaskType;
  baseModel: string;
  contextLength: number;
  maxTrainableParams: number;
  trainingSetId: ContentId;
  validationCommitment: ContentId;
  submissionDeadline: string;
  endTime: string;
  rewardWeight: bigint;
  minStake: bigint;
  minLockDays: number;
  status: TaskStatus;
  creator: Hex;
  createdAt: string;
  /** FLOCK base units its creator funds on-chain before it opens (absent on tasks from before funding terms). */
  pool?: bigint;
  /** The emission weight an operator approved; null until one does (`rewardWeight` is only what was asked). */
  approvedWeight?: bigint | null;
  /** For a draft: what to do for it to open (fund its pool, have its weight approved, open it). */
  next?: string[];
}

export interface NewTask {
  title: string;
  description: string;
  type: TaskType;
  baseModel: string;
  contextLength: number;
  maxTrainableParams: number;
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
  minLockDays: number;
}

/** What a coordinator tells nodes that join its network (`GET /network`). */
export interface NetworkDescription {
  chainId: number;
  /** A JSON-RPC URL of the chain for participants. */
  rpcUrl: string;
  /** The deployment manifest (`flock-deployment/1`): contract addresses, roles, parameters. */
  deployment: Record<string, unknown>;
}

/** A published artifact (SPEC §4): content-addressed, served to anyone. */
export interface PublicArtifact {
  id: ContentId;
  size: number;
  mediaType: string;
  publishedBy: string;
  createdAt: string;
}

export interface Page<T> {
  items: T[];
  /** Pass as `after` for the next page; absent on the last page. */
  next?: number;
}

export interface Submission {
  id: number;
  taskId: number;
  trainer: Hex;
  commitHash: ContentId;
  committedAt: string;
  artifactId: ContentId | null;
  artifactSize: number | null;
  uploadedAt: string | null;
  status: SubmissionStatus;
  reason: string | null;
  copyOf: number | null;
  /** For a replaced submission: the trainer's later commit that replaced it (never scored). */
  replacedBy: number | null;
}

export interface Assignment {
  id: number;
  submissionId: number;
  validator: Hex;
  seed: string;
  assignedAt: string;
  deadline: string;
  status: AssignmentStatus;
  reason: string | null;
  /** The score commitment (protocol's scoreCommitment), once committed. */
  commitment: Hex | null;
  committedAt: string | null;
}

export interface Score {
  assignmentId: number;
  submissionId: number;
  validator: Hex;
  /** Fixed point, 1e18 = 1.0. */
  score: bigint;
  evidence: Record<string, unknown>;
  reportedAt: string;
}

export interface LeaderboardEntry {
  /** 0 is the best; null before any score. */
  rank: number | null;
  submissionId: number;
  trainer: Hex;
  consensusScore: bigint | null;
  reports: number;
}

export interface Epoch {
  number: number;
  /** The tasks this network-wide epoch settled. */
  tasks: number[];
  /** The emission mint that funds it (decimal), or null when it pays from task pools only. */
  mintIndex: string | null;
  reportId: ContentId;
  reportHash: Hex;
  liquidRoot: Hex;
  vestingRoot: Hex;
  txHash: Hex | null;
  postedAt: string | null;
}

export interface Claim {
  amount: bigint;
  proof: Hex[];
}

export interface EpochProofs {
  epoch: number;
  account: Hex;
  liquid: Claim | null;
  vesting: Claim | null;
}

export interface LiveEvent {
  id: number;
  type: string;
  data: Record<string, unknown>;
}
