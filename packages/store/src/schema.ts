import type { ColumnType, Generated, JSONColumnType } from "kysely";

// Row types of the database, as Kysely sees them. Amounts and scores are numeric(78,0) and arrive as
// decimal strings; repositories convert them to bigint. bigint columns arrive as numbers (see
// database.ts: both dialects parse int8 to a safe integer). JSON columns are written as JSON text.

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type RequiredTimestamp = ColumnType<Date, Date | string, Date | string>;
type Numeric = ColumnType<string, string, string>;

export type TaskType = "lm-lora" | "lm-full" | "classifier" | "regressor";
/** An Arena task, or a federated task (FL Alliance) whose own terms are in `fl_tasks`. */
export type TaskKind = "arena" | "federated";
export type TaskStatus = "draft" | "open" | "validating" | "finalized" | "closed" | "cancelled";
export type SubmissionStatus = "committed" | "uploaded" | "accepted" | "rejected" | "copy" | "replaced";
export type AssignmentStatus = "open" | "committed" | "reported" | "timed_out" | "refused" | "unrevealed";
export type StakeRole = "trainer" | "validator";
export type RewardTree = "liquid" | "vesting";
export type JobStatus = "pending" | "running" | "done" | "failed";

export interface TasksTable {
  id: Generated<number>;
  title: string;
  description: string;
  type: TaskType;
  base_model: string;
  context_length: number;
  max_trainable_params: number;
  training_set_id: string;
  validation_commitment: string;
  hidden_validation_set_id: string | null;
  submission_deadline: RequiredTimestamp;
  end_time: RequiredTimestamp;
  reward_weight: Numeric;
  min_stake: Numeric;
  min_lock_days: number;
  status: ColumnType<TaskStatus, TaskStatus | undefined, TaskStatus>;
  creator: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  kind: ColumnType<TaskKind, TaskKind | undefined, TaskKind>;
}

export interface SubmissionsTable {
  id: Generated<number>;
  task_id: number;
  trainer: string;
  commit_hash: string;
  committed_at: RequiredTimestamp;
  artifact_id: string | null;
  artifact_size: number | null;
  uploaded_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  status: ColumnType<SubmissionStatus, SubmissionStatus | undefined, SubmissionStatus>;
  reason: string | null;
  copy_of: number | null;
  replaced_by: ColumnType<number | null, number | null | undefined, number | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface AssignmentsTable {
  id: Generated<number>;
  submission_id: number;
  validator: string;
  seed: string;
  assigned_at: RequiredTimestamp;
  deadline: RequiredTimestamp;
  status: ColumnType<AssignmentStatus, AssignmentStatus | undefined, AssignmentStatus>;
  reason: string | null;
  commitment: ColumnType<string | null, string | null | undefined, string | null>;
  committed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  updated_at: Timestamp;
}

export interface ScoresTable {
  assignment_id: number;
  submission_id: number;
  validator: string;
  score: Numeric;
  evidence: JSONColumnType<Record<string, unknown>>;
  reported_at: RequiredTimestamp;
  salt: ColumnType<string | null, string | null | undefined, string | null>;
  reveal_headers: ColumnType<Record<string, string> | null, string | null | undefined, string | null>;
  reveal_body: ColumnType<string | null, string | null | undefined, string | null>;
}

/** A refereed re-run's score (SPEC §2.1): the truth that replaces the submission's consensus. */
export interface RefereedScoresTable {
  submission_id: number;
  score: Numeric;
  dispute_id: number;
  evidence_id: string;
  decided_at: Timestamp;
}

export interface EpochsTable {
  number: number;
  task_id: number | null;
  report_id: string;
  report_hash: string;
  liquid_root: string;
  vesting_root: string;
  tx_hash: string | null;
  posted_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: Timestamp;
  mint_index: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface EpochTasksTable {
  task_id: number;
  epoch: number;
}

export interface TaskSnapshotsTable {
  task_id: number;
  block_number: Numeric;
  block_hash: string;
  block_time: RequiredTimestamp;
}

export interface StakeSnapshotsTable {
  task_id: number;
  account: string;
  role: "trainer" | "validator";
  amount: Numeric;
}

export interface TaskFundingTable {
  task_id: number;
  pool: Numeric;
  approved_weight: ColumnType<string | null, string | null | undefined, string | null>;
  approved_by: string | null;
  approved_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface RewardsTable {
  epoch: number;
  account: string;
  tree: RewardTree;
  amount: Numeric;
  proof: JSONColumnType<string[]>;
}

export interface SlashesTable {
  id: Generated<number>;
  epoch: number | null;
  task_id: number;
  account: string;
  amount: Numeric;
  reason: string;
  evidence_id: string;
  prover: string | null;
  created_at: Timestamp;
}

export interface StakesTable {
  task_id: number;
  account: string;
  role: StakeRole;
  amount: Numeric;
  block_number: number;
  log_index: number;
}

export interface DelegationsTable {
  pool: string;
  delegator: string;
  amount: Numeric;
  since: RequiredTimestamp;
  block_number: number;
  log_index: number;
}

export interface DelegationChangesTable {
  block_number: number;
  log_index: number;
  pool: string;
  delegator: string;
  amount: Numeric;
  at: RequiredTimestamp;
}

export interface ChainCursorsTable {
  name: string;
  last_block: number;
  updated_at: Timestamp;
}

export interface RequestNoncesTable {
  account: string;
  nonce: string;
  expires_at: RequiredTimestamp;
}

export interface JobsTable {
  id: Generated<number>;
  kind: string;
  key: string | null;
  run_at: RequiredTimestamp;
  payload: JSONColumnType<Record<string, unknown>>;
  status: ColumnType<JobStatus, JobStatus | undefined, JobStatus>;
  attempts: Generated<number>;
  last_error: string | null;
  /** The code of the permanent error that stopped the job (status failed), for the operator. */
  error_code: ColumnType<string | null, string | null | undefined, string | null>;
  locked_until: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type ChainWriteStatus = "intent" | "sent" | "confirmed";

export interface ChainWritesTable {
  id: Generated<number>;
  kind: string;
  key: string;
  status: ColumnType<ChainWriteStatus, ChainWriteStatus | undefined, ChainWriteStatus>;
  tx_hash: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface EventsTable {
  id: Generated<number>;
  type: string;
  payload: JSONColumnType<Record<string, unknown>>;
  created_at: Timestamp;
}

export interface ArtifactsTable {
  id: string;
  size: number;
  media_type: string;
  created_at: Timestamp;
  public: Generated<boolean>;
  published_by: string | null;
}

export interface PoolSigmasTable {
  participant: string;
  sigma_bps: number;
  block_number: number;
  log_index: number;
}

export interface ChainSlashesTable {
  evidence_hash: string;
  task_id: number;
  account: string;
  prover: string;
  fraction_bps: number;
  amount: Numeric;
  prover_share: Numeric;
  treasury_share: Numeric;
  tx_hash: string;
  block_number: number;
  log_index: number;
}

/** Every table of the Flock database. */
export interface Database {
  tasks: TasksTable;
  submissions: SubmissionsTable;
  assignments: AssignmentsTable;
  scores: ScoresTable;
  refereed_scores: RefereedScoresTable;
  epochs: EpochsTable;
  epoch_tasks: EpochTasksTable;
  task_snapshots: TaskSnapshotsTable;
  stake_snapshots: StakeSnapshotsTable;
  task_funding: TaskFundingTable;
  rewards: RewardsTable;
  slashes: SlashesTable;
  stakes: StakesTable;
  delegations: DelegationsTable;
  delegation_changes: DelegationChangesTable;
  chain_cursors: ChainCursorsTable;
  request_nonces: RequestNoncesTable;
  jobs: JobsTable;
  chain_writes: ChainWritesTable;
  events: EventsTable;
  artifacts: ArtifactsTable;
  pool_sigmas: PoolSigmasTable;
  chain_slashes: ChainSlashesTable;
  fl_tasks: FlTasksTable;
  fl_participants: FlParticipantsTable;
  fl_rounds: FlRoundsTable;
  fl_messages: FlMessagesTable;
  models: ModelsTable;
  credit_accounts: CreditAccountsTable;
  plans: PlansTable;
  api_keys: ApiKeysTable;
  model_prices: ModelPricesTable;
  subscriptions: SubscriptionsTable;
  usage_records: UsageRecordsTable;
}

type Json<T> = ColumnType<T, string, string>;
type NullableJson<T> = ColumnType<T | null, string | null | undefined, string | null>;
type NullableText = ColumnType<string | null, string | null | undefined, string | null>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export type FlRoundStatus = "training" | "voting" | "revealing" | "accepted" | "rejected" | "failed";

export interface FlTasksTable {
  task_id: number;
  model_type: "lm-lora" | "classifier" | "regressor";
  rounds: number;
  round_seconds: number;
  min_participants: number;
  max_participants: number;
  strategy: Json<{ name: string; params?: Record<string, number | string | boolean> }>;
  privacy: Json<{
    mode: "plain" | "secagg" | "secagg+dp";
    targetEpsilon?: number;
    delta?: number;
    clipNorm?: number;
  }>;
  pay_rule: "stake" | "contribution";
  proposer_fraction_bps: number;
  train_config: Json<Record<string, number | string | boolean>>;
  current_round: ColumnType<number, number | undefined, number>;
  accepted_rounds: ColumnType<number, number | undefined, number>;
  global_model: string;
  remaining_pool: Numeric;
}

export interface FlParticipantsTable {
  task_id: number;
  account: string;
  joined_at: RequiredTimestamp;
  missed: ColumnType<number, number | undefined, number>;
}

export interface FlRoundsTable {
  task_id: number;
  round: number;
  status: FlRoundStatus;
  seed: NullableText;
  seed_block: ColumnType<string | null, string | null | undefined, string | null>;
  started_at: RequiredTimestamp;
  deadline: RequiredTimestamp;
  proposers: Json<{ account: string; stake: string }[]>;
  voters: Json<
    {
      account: string;
      stake: string;
      vote: number | null;
      metrics?: Record<string, number>;
      evaluations?: Record<string, number>;
    }[]
  >;
  base_model: string;
  candidate_model: NullableText;
  contributors: ColumnType<string[], string | undefined, string>;
  updaters: ColumnType<string[], string | undefined, string>;
  tally: ColumnType<string | null, string | null | undefined, string | null>;
  rewards: ColumnType<{ account: string; amount: string }[], string | undefined, string>;
  slashes: ColumnType<
    { account: string; amount: string; fractionBps?: number }[],
    string | undefined,
    string
  >;
  contributions: NullableJson<{ account: string; valueWad: string }[]>;
  metrics: ColumnType<Record<string, number>, string | undefined, string>;
  reason: NullableText;
  remaining_pool_after: ColumnType<string | null, string | null | undefined, string | null>;
  ended_at: NullableTimestamp;
  epoch: ColumnType<number | null, number | null | undefined, number | null>;
  /** The server optimizer's state after aggregating this round's candidate (artifact content id). */
  server_state: ColumnType<string | null, string | null | undefined, string | null>;
  /** The coalitions of proposers whose models the voters evaluate (`contribution` pay rule). */
  coalitions: ColumnType<{ members: string[]; model: string }[], string | undefined, string>;
}

export interface FlMessagesTable {
  id: Generated<number>;
  task_id: number;
  round: number;
  stage: string;
  node: string;
  kind: "train" | "evaluate" | "exchange";
  arrays_id: string | null;
  config: Json<Record<string, number | string | boolean>>;
  body: NullableJson<Record<string, unknown>>;
  deadline: RequiredTimestamp;
  created_at: Timestamp;
  reply: NullableJson<Record<string, unknown>>;
  replied_at: NullableTimestamp;
}

export type ModelKind = "arena-lora" | "arena-full" | "arena-tabular" | "fl-global";

export interface CreditAccountsTable {
  account: string;
  deposited: Numeric;
  withdrawn: Numeric;
  charged: Numeric;
  pending_withdrawal: Numeric;
  pending_available_at: NullableTimestamp;
  block_number: number;
  log_index: number;
}

export interface ModelsTable {
  id: Generated<number>;
  name: string;
  version: number;
  kind: ModelKind;
  task_id: number;
  base_model: string;
  artifact: string;
  license: string;
  metrics: ColumnType<Record<string, number>, string | undefined, string>;
  lineage: Json<Record<string, unknown>>;
  created_at: Timestamp;
}

export interface PlansTable {
  name: string;
  fee: Numeric;
  period_seconds: number;
  token_quota: number;
  requests_per_minute: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ApiKeysTable {
  id: Generated<number>;
  owner: string;
  name: string;
  prefix: string;
  secret_hash: string;
  /** The registry names the key may call (JSON array), or null for every model. */
  models: NullableJson<string[]>;
  plan: NullableText;
  created_at: Timestamp;
  revoked_at: NullableTimestamp;
}

export interface ModelPricesTable {
  model: string;
  prompt_per_1k: Numeric;
  completion_per_1k: Numeric;
  updated_at: Timestamp;
}

export interface SubscriptionsTable {
  id: Generated<number>;
  account: string;
  plan: string;
  fee: Numeric;
  token_quota: number;
  requests_per_minute: number;
  starts_at: RequiredTimestamp;
  ends_at: RequiredTimestamp;
  created_at: Timestamp;
}

export type UsageBilling = "balance" | "plan" | "subscription";

export interface UsageRecordsTable {
  id: Generated<number>;
  key_id: number | null;
  account: string;
  model: string | null;
  model_id: number | null;
  prompt_tokens: number;
  completion_tokens: number;
  cost: Numeric;
  billing: UsageBilling;
  created_at: Timestamp;
  epoch: ColumnType<number | null, number | null | undefined, number | null>;
}
