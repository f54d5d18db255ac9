import {
  type EpochInputs,
  type EpochSubmissionInput,
  type EpochTaskInput,
  type EpochValidatorInput,
  type ExecutedSlashInput,
  type ScoreRevealInput,
  scoreDirectionOf,
} from "@flock/protocol";
import type { Assignment, Delegation, Submission, Task, TaskScore } from "@flock/store";

/** A staker's stake as settlement counts it (frozen at the submission deadline when the snapshot exists). */
export interface SettlementStake {
  account: string;
  role: "trainer" | "validator";
  amount: bigint;
}

/** Everything one task's share of an epoch is computed from, read from the store and the chain in one go. */
export interface TaskEpochSnapshot {
  task: Task;
  submissions: Submission[];
  stakes: SettlementStake[];
  scores: TaskScore[];
  assignments: Assignment[];
  gammaBps: bigint;
  /** Each trainer's delegation pool: its σ (from the chain's SigmaSet events) and current delegations. */
  pools: Map<string, { sigmaBps: number | undefined; delegations: Delegation[] }>;
  /** The task's slashes already executed on-chain (reported in the epoch, paid by no tree); none by default. */
  executedSlashes?: ExecutedSlashInput[];
  /** Refereed re-runs by submission id (SPEC §2.1: the referee's re-run replaces the consensus). */
  refereed?: ReadonlyMap<number, bigint>;
  /** FLOCK the creator funded on-chain for the task (RewardDistributor pool), paid in full by this epoch. */
  pool?: bigint;
  /** The task's weight in the Arena emission split: what an operator approved (0: paid by its pool only). */
  emissionWeight: bigint;
  /** Audit inputs: the block at which stakes were frozen and whose hash seeded the validator draw. */
  stakeSnapshotBlock?: bigint;
  drawSeed?: { blockNumber: bigint; blockHash: string };
}

/** One task's part of a network-wide epoch's inputs. */
export interface TaskEpochParts {
  task: EpochTaskInput;
  submissions: EpochSubmissionInput[];
  validators: EpochValidatorInput[];
  executedSlashes: ExecutedSlashInput[];
}

/**
 * The signed request that revealed a score, as the report's audit input (SPEC §2.1: anyone can check each
 * score against its validator's signature); absent for a score stored without one.
 */
function revealOf(score: TaskScore): { reveal?: ScoreRevealInput } {
  const headers = score.revealRequest?.headers;
  if (score.revealRequest === null || headers === undefined) return {};
  const fields = {
    address: headers["x-flock-address"],
    timestamp: headers["x-flock-timestamp"],
    nonce: headers["x-flock-nonce"],
    signature: headers["x-flock-signature"],
    method: headers[":method"],
    path: headers[":path"],
  };
  if (Object.values(fields).some((v) => v === undefined)) return {};
  return { reveal: { ...(fields as Record<keyof typeof fields, string>), body: score.revealRequest.body } };
}

/** A submission's refereed score as the epoch input field that replaces its consensus, when disputed. */
function refereedScoreOf(snapshot: TaskEpochSnapshot, submissionId: number): { refereedScore?: bigint } {
  const score = snapshot.refereed?.get(submissionId);
  return score === undefined ? {} : { refereedScore: score };
}

/** Seconds of the task's period [createdAt, endTime] a delegation held its current amount. */
function delegationSeconds(task: Task, since: Date): bigint {
  const from = Math.max(since.getTime(), task.createdAt.getTime());
  return BigInt(Math.max(0, Math.floor((task.endTime.getTime() - from) / 1000)));
}

/**
 * A finalized task's part of the `computeEpoch` inputs (pure): the task with its emission weight, pool and
 * audit inputs; accepted submissions with their trainers' stakes and delegation pools (delegators weighted by
 * the seconds of the task they were in); every validator that reported with its stake, scores (with their
 * signed reveals) and completed assignments; and the slashes executed on-chain for the task. Copies, replaced
 * and rejected submissions earn nothing and are left out.
 */
export function taskEpochParts(snapshot: TaskEpochSnapshot): TaskEpochParts {
  const taskKey = String(snapshot.task.id);
  const stakeOf = new Map(snapshot.stakes.map((s) => [s.account, s.amount]));
  const accepted = snapshot.submissions.filter((s) => s.status === "accepted");
  const acceptedIds = new Set(accepted.map((s) => s.id));
  const pooled = new Set<string>();
  const submissions: EpochSubmissionInput[] = accepted.map((s) => {
    const input: EpochSubmissionInput = {
      id: String(s.id),
      task: taskKey,
      account: s.trainer,
      stake: stakeOf.get(s.trainer) ?? 0n,
      ...refereedScoreOf(snapshot, s.id),
    };
    // SPEC §3: a trainer's pool shares its reward through σ; a pool counts once per trainer and task.
    const pool = snapshot.pools.get(s.trainer);
    const delegators = (pool?.delegations ?? [])
      .filter((d) => d.amount > 0n)
      .map((d) => ({
        account: d.delegator,
        amount: d.amount,
        seconds: delegationSeconds(snapshot.task, d.since),
      }));
    if (pool?.sigmaBps === undefined || delegators.length === 0 || pooled.has(s.trainer)) return input;
    pooled.add(s.trainer);
    return {
      ...input,
      delegatedStake: delegators.reduce((sum, d) => sum + d.amount, 0n),
      sigmaBps: pool.sigmaBps,
      delegators,
    };
  });
  const byValidator = new Map<string, TaskScore[]>();
  for (const score of snapshot.scores) {
    if (!acceptedIds.has(score.submissionId)) continue;
    byValidator.set(score.validator, [...(byValidator.get(score.validator) ?? []), score]);
  }
  const validators: EpochValidatorInput[] = [...byValidator.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([account, scores]) => ({
      account,
      task: taskKey,
      stake: stakeOf.get(account) ?? 0n,
      completedAssignments: snapshot.assignments.filter(
        (a) => a.validator === account && a.status === "reported",
      ).length,
      scores: scores.map((s) => ({
        submission: String(s.submissionId),
        score: s.score,
        ...revealOf(s),
      })),
    }));
  const pool = snapshot.pool ?? 0n;
  return {
    task: {
      id: taskKey,
      weight: snapshot.emissionWeight,
      gammaBps: snapshot.gammaBps,
      direction: scoreDirectionOf(snapshot.task.type),
      ...(pool === 0n ? {} : { pool, creator: snapshot.task.creator }),
      ...(snapshot.stakeSnapshotBlock === undefined
        ? {}
        : { stakeSnapshotBlock: snapshot.stakeSnapshotBlock.toString() }),
      ...(snapshot.drawSeed === undefined
        ? {}
        : {
            drawSeed: {
              blockNumber: snapshot.drawSeed.blockNumber.toString(),
              blockHash: snapshot.drawSeed.blockHash,
            },
          }),
    },
    submissions,
    validators,
    executedSlashes: snapshot.executedSlashes ?? [],
  };
}

/**
 * A network-wide epoch's `computeEpoch` inputs (SPEC §3): one emission (from one mint) shared by every task
 * finalized within the epoch, each bringing its part.
 */
export function networkEpochInputs(epoch: {
  epoch: number;
  emission: bigint;
  mintIndex: bigint | null;
  treasury: string;
  tasks: readonly TaskEpochParts[];
}): EpochInputs {
  const executedSlashes = epoch.tasks.flatMap((t) => t.executedSlashes);
  return {
    epoch: epoch.epoch,
    emission: epoch.emission,
    ...(epoch.mintIndex === null ? {} : { mintIndex: epoch.mintIndex.toString() }),
    treasury: epoch.treasury,
    tasks: epoch.tasks.map((t) => t.task),
    submissions: epoch.tasks.flatMap((t) => t.submissions),
    validators: epoch.tasks.flatMap((t) => t.validators),
    ...(executedSlashes.length === 0 ? {} : { executedSlashes }),
  };
}
