import type { DeploymentManifest } from "@flock/chain";
import type { Logger } from "@flock/core";
import { DEFAULT_EPOCH_PARAMS, DEFAULT_REVENUE_SHARES, type RevenueShares } from "@flock/protocol";
import type { CompletionEngine } from "@flock/serving";
import type { ArtifactStore, FlockDatabase, Repositories } from "@flock/store";
import type { ChainGateway } from "./chain/chainGateway.ts";
import type { SubmissionEvaluator } from "./disputes/submissionEvaluator.ts";
import { defaultServingConfig, type ServingConfig } from "./serving/servingConfig.ts";

/** The coordinator's clock; tests pass a manual one to cross deadlines without waiting. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Coordinator settings (network parameters; SPEC: defaults, not constants). */
export interface ServerConfig {
  /** How `/v1` serves models: batch rows, LoRA adapters kept loaded, upstream routes (see serving/servingConfig.ts). */
  serving: ServingConfig;
  /** Largest artifact upload in bytes. */
  maxArtifactBytes: number;
  /** Largest public artifact (a base model, a training set) in bytes. */
  maxPublicArtifactBytes: number;
  /** Longest task from creation to end (SPEC §2.1: ≤ 30 days [FLock]). */
  maxTaskDurationMs: number;
  /** How often the scheduler looks for due jobs. */
  schedulerPollMs: number;
  /** How often the stake indexer reads new chain events (a missing stake also triggers a read). */
  indexerPollMs: number;
  /** How often an open event stream looks for new events. */
  eventPollMs: number;
  /** Validators per submission (SPEC §2.1: k = 3). */
  validatorsPerSubmission: number;
  /** Time a validator has to report before its assignment times out and is given to another. */
  assignmentTimeoutMs: number;
  /**
   * How long after a task's end (the validation deadline) validators may reveal their committed scores
   * (SPEC §2.1 commit-reveal); the task is finalized when it closes.
   */
  revealWindowMs: number;
  /**
   * Length of a network-wide epoch (SPEC §3: one period of the emission clock, a day): a task ready to settle
   * waits for the end of the current period, then every task ready by then settles in one epoch funded by the
   * latest unused emission mint. 0 closes an epoch as soon as a task is ready (a development network; each
   * mint still funds one epoch only).
   */
  epochLengthMs: number;
  /** How often the coordinator checks whether the next daily emission mint is due (and mints it). */
  emissionPollMs: number;
  /** Where dust, unallocated emission and slashed stake go (the treasury's account). */
  treasury: string;
  /** γ of the trainer/validator split, bps (SPEC §3). */
  gammaBps: bigint;
  /** Fraction of a copier's task stake slashed, bps (SPEC §3: copied submissions are slashable). */
  copySlashBps: number;
  /**
   * Distance from consensus (score units, 1e18 = 1.0) at which a score is disputed: the epoch's tolerance τ
   * (protocol's DEFAULT_EPOCH_PARAMS.toleranceScore, 0.01), where a score's accuracy reaches 0.
   */
  disputeToleranceScore: bigint;
  /** Fraction of a validator's task stake slashed for a score proven dishonest, bps (SPEC §3). */
  dishonestScoreSlashBps: number;
  /**
   * Fraction of a validator's task stake slashed for a failed duty, bps (SPEC §3): an assignment it neither
   * committed to nor refused before its deadline, or a committed score it did not reveal in the reveal window.
   */
  failedDutySlashBps: number;
  /** Fraction of stake slashed from those on the losing side of an FL round's vote, bps (SPEC §2.2 [FLock]). */
  flVoteSlashBps: number;
  /** How often a round in progress looks for new replies (a step of the round; replies are never lost between). */
  flPollMs: number;
  /** The window of the rate limits below. */
  rateLimitWindowMs: number;
  /** Signed requests one account may send per window (429 RATE_LIMITED beyond). */
  rateLimitPerAccount: number;
  /** Unsigned (and failed signed) requests one IP address may send per window. */
  rateLimitPerIp: number;
  /** Bytes of public artifacts one publisher may have stored (PUT /artifacts; 413 PUBLISHER_QUOTA_EXCEEDED). */
  publisherQuotaBytes: number;
  /** An upload that sends no byte for this long is cut (408 UPLOAD_TIMEOUT) and its temp file removed. */
  uploadIdleTimeoutMs: number;
  /** An upload that takes longer than this in all is cut the same way. */
  uploadTotalTimeoutMs: number;
  /** How often used request nonces whose requests expired are forgotten. */
  noncePruneMs: number;
  /** A running job's lease, renewed while it runs: a job of a killed coordinator runs again within this time. */
  jobLeaseMs: number;
  /** The longest wait between two attempts of a failing job (its backoff doubles from 1 s up to this). */
  jobMaxBackoffMs: number;
  /** How often the store is compared with the chain (also once at start) and the differences repaired or reported. */
  reconcileIntervalMs: number;
  /** /v1 refuses calls without an API key (401); false serves keyless calls unmetered (a private coordinator). */
  requireApiKey: boolean;
  /** Requests per minute of an API key without a plan (429 with retry-after beyond). */
  apiKeyRequestsPerMinute: number;
  /** The network's price per 1,000 prompt tokens of a model the operator has not priced, FLOCK base units. */
  defaultPromptPricePer1k: bigint;
  /** The same per 1,000 completion tokens. */
  defaultCompletionPricePer1k: bigint;
  /**
   * How each epoch splits usage revenue (SPEC §2.4): the treasury's cut first, then the role shares of a model's
   * lineage (trainers, validators, FL contributors, data miners; summing to 10000 bps). Checked at start.
   */
  revenueShares: RevenueShares;
}

export const defaultServerConfig: ServerConfig = {
  serving: defaultServingConfig,
  maxArtifactBytes: 256 * 1024 * 1024,
  maxPublicArtifactBytes: 2 * 1024 * 1024 * 1024,
  maxTaskDurationMs: 30 * 24 * 60 * 60 * 1000,
  schedulerPollMs: 1000,
  indexerPollMs: 2000,
  eventPollMs: 500,
  validatorsPerSubmission: 3,
  assignmentTimeoutMs: 30 * 60_000,
  revealWindowMs: 10 * 60_000,
  epochLengthMs: 24 * 60 * 60 * 1000,
  emissionPollMs: 60_000,
  // The local chain's treasury (dev account 2); a deployment sets its own.
  treasury: "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc",
  gammaBps: 1000n,
  copySlashBps: 5000,
  disputeToleranceScore: DEFAULT_EPOCH_PARAMS.toleranceScore,
  dishonestScoreSlashBps: 5000,
  // 10%: a missed duty costs less than a proven lie or a copy (50%), and more than the work credit alone.
  failedDutySlashBps: 1000,
  flVoteSlashBps: 1000,
  flPollMs: 1000,
  // Generous: a whole local network (every node on one IP) stays far below them.
  rateLimitWindowMs: 60_000,
  rateLimitPerAccount: 12_000,
  rateLimitPerIp: 60_000,
  publisherQuotaBytes: 8 * 1024 * 1024 * 1024,
  uploadIdleTimeoutMs: 30_000,
  uploadTotalTimeoutMs: 60 * 60_000,
  noncePruneMs: 60_000,
  jobLeaseMs: 30_000,
  jobMaxBackoffMs: 30_000,
  reconcileIntervalMs: 60_000,
  requireApiKey: true,
  apiKeyRequestsPerMinute: 60,
  // 0.001 FLOCK per 1,000 prompt tokens, 0.002 per 1,000 completion tokens.
  defaultPromptPricePer1k: 10n ** 15n,
  defaultCompletionPricePer1k: 2n * 10n ** 15n,
  revenueShares: DEFAULT_REVENUE_SHARES,
};

/** What `createApp` is built from: real parts in production, the same parts over temp folders in tests. */
export interface AppDeps {
  db: FlockDatabase["db"];
  repos: Repositories;
  artifacts: ArtifactStore;
  chain: ChainGateway;
  clock?: Clock;
  logger?: Logger;
  config?: Partial<ServerConfig>;
  /** Re-runs disputed evaluations (the referee); the engine's by default, loaded on first use. */
  evaluator?: SubmissionEvaluator;
  /** What `GET /network` tells joining nodes: the chain's JSON-RPC URL for them and the deployment manifest. */
  network?: PublishedNetwork;
  /** The browser FL client served at /fl/join/: its folder (built on first use by whoever passes it). */
  flWeb?: { directory(): Promise<string> };
  /**
   * Answers the OpenAI-compatible API at /v1 from its model catalog (the app closes it); by default the
   * registry's language models, decoded four to a batched step.
   */
  completions?: CompletionEngine;
}

/** The network a coordinator publishes to nodes that join it. */
export interface PublishedNetwork {
  /** A JSON-RPC URL of the chain reachable by participants. */
  rpcUrl: string;
  deployment: DeploymentManifest;
}

/** What routes and jobs get: the dependencies with every default filled in. */
export type AppContext = Omit<AppDeps, "clock" | "logger" | "config" | "evaluator"> & {
  clock: Clock;
  evaluator: SubmissionEvaluator;
  logger: Logger;
  config: ServerConfig;
};
