import type { Kysely } from "kysely";
import { ApiKeyRepository } from "./apiKeys.ts";
import { ArtifactRecordRepository } from "./artifactRecords.ts";
import { AssignmentRepository } from "./assignments.ts";
import { ChainCursorRepository } from "./chainCursors.ts";
import { ChainFactRepository } from "./chainFacts.ts";
import { ChainWriteRepository } from "./chainWrites.ts";
import { CreditRepository } from "./credits.ts";
import { DelegationRepository } from "./delegations.ts";
import { EpochRepository } from "./epochs.ts";
import { EventRepository } from "./events.ts";
import { FlRepository } from "./fl.ts";
import { JobRepository } from "./jobs.ts";
import { ModelRepository } from "./models.ts";
import { NonceRepository } from "./nonces.ts";
import { PlanRepository } from "./plans.ts";
import { RewardRepository } from "./rewards.ts";
import type { Database } from "./schema.ts";
import { ScoreRepository } from "./scores.ts";
import { SlashRepository } from "./slashes.ts";
import { SnapshotRepository } from "./snapshots.ts";
import { StakeRepository } from "./stakes.ts";
import { SubmissionRepository } from "./submissions.ts";
import { TaskFundingRepository } from "./taskFunding.ts";
import { TaskRepository } from "./tasks.ts";
import { UsageRepository } from "./usage.ts";

/** Every repository, bound to one database handle (the database itself or a transaction). */
export interface Repositories {
  tasks: TaskRepository;
  submissions: SubmissionRepository;
  assignments: AssignmentRepository;
  scores: ScoreRepository;
  epochs: EpochRepository;
  rewards: RewardRepository;
  slashes: SlashRepository;
  stakes: StakeRepository;
  snapshots: SnapshotRepository;
  funding: TaskFundingRepository;
  delegations: DelegationRepository;
  chainCursors: ChainCursorRepository;
  chainFacts: ChainFactRepository;
  nonces: NonceRepository;
  jobs: JobRepository;
  chainWrites: ChainWriteRepository;
  events: EventRepository;
  artifacts: ArtifactRecordRepository;
  fl: FlRepository;
  models: ModelRepository;
  credits: CreditRepository;
  apiKeys: ApiKeyRepository;
  plans: PlanRepository;
  usage: UsageRepository;
}

/** Repositories over `db`. */
export function createRepositories(db: Kysely<Database>): Repositories {
  return {
    tasks: new TaskRepository(db),
    submissions: new SubmissionRepository(db),
    assignments: new AssignmentRepository(db),
    scores: new ScoreRepository(db),
    epochs: new EpochRepository(db),
    rewards: new RewardRepository(db),
    slashes: new SlashRepository(db),
    stakes: new StakeRepository(db),
    snapshots: new SnapshotRepository(db),
    funding: new TaskFundingRepository(db),
    delegations: new DelegationRepository(db),
    chainCursors: new ChainCursorRepository(db),
    chainFacts: new ChainFactRepository(db),
    nonces: new NonceRepository(db),
    jobs: new JobRepository(db),
    chainWrites: new ChainWriteRepository(db),
    events: new EventRepository(db),
    artifacts: new ArtifactRecordRepository(db),
    fl: new FlRepository(db),
    models: new ModelRepository(db),
    credits: new CreditRepository(db),
    apiKeys: new ApiKeyRepository(db),
    plans: new PlanRepository(db),
    usage: new UsageRepository(db),
  };
}

/**
 * Run `work` atomically with repositories bound to one transaction: all its writes commit together or
 * none do. Inside, use only the given repositories (with PGlite the outer handle would wait forever).
 * Nested calls join the outer transaction.
 */
export async function withTransaction<T>(
  db: Kysely<Database>,
  work: (repos: Repositories) => Promise<T>,
): Promise<T> {
  if (db.isTransaction) return work(createRepositories(db));
  return db.transaction().execute((trx) => work(createRepositories(trx)));
}
