import {
  type EpochInputs,
  type EpochSubmissionInput,
  type EpochValidatorInput,
  type ExecutedSlashInput,
  type ScoreRevealInput,
  scoreDirectionOf,
} from "@flock/protocol";
import type { Assignment, Delegation, Stake, Submission, Task, TaskScore } from "@flock/store";

/** Everything one task's epoch is computed from, read from the store in one go. */
export interface TaskEpochSnapshot {
  epoch: number;
  task: Task;
  submissions: Submission[];
  stakes: Stake[];
  scores: TaskScore[];
  assignments: Assignment[];
  emission: bigint;
  treasury: string;
  gammaBps: bigint;
  /** Each trainer's delegation pool: its σ (from the chain's SigmaSet events) and current delegations. */
  pools: Map<string, { sigmaBps: number | undefined; delegations: Delegation[] }>;
  /** The task's slashes already executed on-chain (reported in the epoch, paid by no tree); none by default. */
  executedSlashes?: ExecutedSlashInput[];
  /** Refereed re-runs by submission id (SPEC §2.1: the referee's re-run replaces the consensus). */
  refereed?: ReadonlyMap<number, bigint>;
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
 * The `computeEpoch` inputs of a finalized task (pure): accepted submissions with their trainers' stakes
 * and delegation pools (delegators weighted by the seconds of the task they were in), every validator that
 * reported with its stake, scores and completed assignments, and the slashes executed on-chain for the task.
 * Copies and rejected submissions earn nothing and are left out.
 */
export function epochInputsFor(snapshot: TaskEpochSnapshot): EpochInputs {
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
  return {
    epoch: snapshot.epoch,
    emission: snapshot.emission,
    treasury: snapshot.treasury,
    tasks: [
      {
        id: taskKey,
        weight: snapshot.task.rewardWeight,
        gammaBps: snapshot.gammaBps,
        direction: scoreDirectionOf(snapshot.task.type),
      },
    ],
    submissions,
    validators,
    ...(snapshot.executedSlashes === undefined ? {} : { executedSlashes: snapshot.executedSlashes }),
  };
}
