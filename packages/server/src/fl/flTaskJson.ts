import type { wire } from "@flock/core";
import type { FlParticipantRecord, FlRoundRecord, FlTerms, Task, TaskFunding } from "@flock/store";

/** A federated task's status from its task row (SPEC §2.2: running = validating, finished = finalized). */
export function flStatusOf(task: Pick<Task, "status">): wire.FlTaskStatus {
  switch (task.status) {
    case "validating":
      return "running";
    case "finalized":
      return "finished";
    default:
      return task.status;
  }
}

/** What a draft waits for, in the order to do it. */
function nextSteps(task: Task, funding: TaskFunding | undefined): string[] {
  const steps: string[] = [];
  if (funding !== undefined && funding.pool > 0n) {
    steps.push(
      `fund its pool on-chain: RewardDistributor.fundTask(${task.id}, ${funding.pool}) (\`flock task fund ${task.id}\`)`,
    );
  }
  if (task.rewardWeight > 0n && (funding?.approvedWeight ?? null) === null) {
    steps.push(`an operator approves its weight: POST /tasks/${task.id}/approve`);
  }
  steps.push(`open it: POST /fl/tasks/${task.id}/open`);
  return steps;
}

/** The wire form of a federated task. */
export function flTaskJson(
  task: Task,
  terms: FlTerms,
  funding: TaskFunding | undefined,
  participants: number,
): wire.FlTask {
  return {
    id: task.id,
    title: task.title,
    description: task.description,
    modelType: terms.modelType,
    baseModel: task.baseModel as wire.ContentId,
    rounds: terms.rounds,
    roundSeconds: terms.roundSeconds,
    minParticipants: terms.minParticipants,
    maxParticipants: terms.maxParticipants,
    joinDeadline: task.submissionDeadline.toISOString(),
    endTime: task.endTime.toISOString(),
    rewardWeight: task.rewardWeight.toString(),
    pool: (funding?.pool ?? 0n).toString(),
    remainingPool: terms.remainingPool.toString(),
    approvedWeight: funding?.approvedWeight?.toString() ?? null,
    minStake: task.minStake.toString(),
    minLockDays: task.minLockDays,
    strategy: terms.strategy,
    privacy: terms.privacy,
    payRule: terms.payRule,
    proposerFractionBps: terms.proposerFractionBps,
    trainConfig: terms.trainConfig,
    status: flStatusOf(task),
    acceptedRounds: terms.acceptedRounds,
    currentRound: terms.currentRound,
    globalModel: terms.globalModel as wire.ContentId,
    participants,
    creator: task.creator as wire.Address,
    createdAt: task.createdAt.toISOString(),
    ...(task.status === "draft" ? { next: nextSteps(task, funding) } : {}),
  };
}

export function flParticipantJson(p: FlParticipantRecord, stake: bigint): wire.FlParticipant {
  return {
    account: p.account as wire.Address,
    stake: stake.toString(),
    joinedAt: p.joinedAt.toISOString(),
    missed: p.missed,
  };
}

/**
 * The wire form of a round. Votes are hidden until the round's vote is decided (SPEC §2.2: commit-reveal —
 * nobody learns a vote before every voter has committed and the reveals are in).
 */
export function flRoundJson(round: FlRoundRecord): wire.FlRound {
  const decided = round.status === "accepted" || round.status === "rejected" || round.status === "failed";
  return {
    taskId: round.taskId,
    round: round.round,
    status: round.status,
    seed: round.seed as wire.FlRound["seed"],
    seedBlock: round.seedBlock === null ? null : Number(round.seedBlock),
    startedAt: round.startedAt.toISOString(),
    deadline: round.deadline.toISOString(),
    proposers: round.proposers.map((p) => ({
      account: p.account as wire.Address,
      stake: p.stake.toString(),
    })),
    voters: round.voters.map((v) => ({
      account: v.account as wire.Address,
      stake: v.stake.toString(),
      vote: decided ? (v.vote as 1 | -1 | null) : null,
      ...(decided && v.metrics ? { metrics: v.metrics } : {}),
      ...(decided && v.evaluations ? { evaluations: v.evaluations } : {}),
    })),
    baseModel: round.baseModel as wire.ContentId,
    candidateModel: round.candidateModel as wire.FlRound["candidateModel"],
    contributors: round.contributors as wire.Address[],
    updaters: round.updaters as wire.Address[],
    tally: round.tally === null ? null : round.tally.toString(),
    rewards: round.rewards.map((r) => ({ account: r.account as wire.Address, amount: r.amount.toString() })),
    slashes: round.slashes.map((s) => ({ account: s.account as wire.Address, amount: s.amount.toString() })),
    ...(round.contributions === null
      ? {}
      : {
          contributions: round.contributions.map((c) => ({
            account: c.account as wire.Address,
            valueWad: c.valueWad.toString(),
          })),
        }),
    ...(round.coalitions.length === 0
      ? {}
      : {
          coalitions: round.coalitions.map((c) => ({
            members: c.members as wire.Address[],
            model: c.model as wire.ContentId,
          })),
        }),
    metrics: round.metrics,
    reason: round.reason,
  };
}
