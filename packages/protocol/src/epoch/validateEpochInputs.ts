import { ProtocolError, ValidationError, WAD } from "@flock/core";
import { clampSigma, readSigmaBounds, type SigmaBounds } from "../delegation.ts";
import { assertGamma } from "../emissionSplit.ts";
import { readDirection, type ScoreDirection } from "../score.ts";
import { dyadicExponent } from "../stakePower.ts";
import {
  assertUnique,
  normalizeAccount,
  readAmount,
  readBps,
  readCount,
  readSignedInteger,
  readWad,
} from "../validate.ts";
import { readDecimalString, readDrawSeed, readScoreReveal } from "./auditInputs.ts";
import { readExecutedSlashes } from "./executedSlashes.ts";
import { type NormalizedFlTask, readFlTasks } from "./flEpoch.ts";
import {
  type NormalizedRevenueModel,
  type NormalizedRevenueShares,
  readRevenueModels,
  readRevenueShares,
} from "./revenue.ts";
import {
  DEFAULT_EPOCH_PARAMS,
  type DrawSeedInput,
  type EpochExecutedSlash,
  type EpochInputs,
  MAX_TASK_WEIGHT,
  type ScoreRevealInput,
} from "./types.ts";

type Account = `0x${string}`;

/** Epoch inputs after validation: bigints, lowercase accounts, every list in canonical order. */
export interface NormalizedEpochInputs {
  epoch: bigint;
  emission: bigint;
  /** S_FL, or null when not given (then 0, and the report keeps its pre-FL shape). */
  flStake: bigint | null;
  mintIndex: string | null;
  treasury: Account;
  /** Audit-only fields are present only when given, so reports without them keep their bytes. */
  tasks: {
    id: string;
    weight: bigint;
    gammaBps: bigint;
    direction: ScoreDirection;
    /** 0 when the task has no funded pool. */
    pool: bigint;
    creator?: Account;
    stakeSnapshotBlock?: string;
    drawSeed?: DrawSeedInput;
  }[];
  submissions: {
    id: string;
    task: string;
    account: Account;
    stake: bigint;
    delegatedStake: bigint;
    sigmaBps: bigint | null;
    delegators: { account: Account; amount: bigint; seconds: bigint }[];
    refereedScore?: bigint;
  }[];
  validators: {
    account: Account;
    task: string;
    stake: bigint;
    completedAssignments: bigint;
    scores: { submission: string; score: bigint; reveal?: ScoreRevealInput }[];
  }[];
  slashes: {
    account: Account;
    stake: bigint;
    fractionBps: bigint;
    prover: Account | null;
    reason: string;
  }[];
  /** Slashes executed on-chain before settlement, sorted by evidence id: reported, not paid. */
  executedSlashes: EpochExecutedSlash[];
  /** Federated tasks, sorted by id (empty when none is listed). */
  flTasks: NormalizedFlTask[];
  /** Usage revenue, or null when the epoch settles none (the report then keeps its pre-revenue shape). */
  revenue: {
    shares: NormalizedRevenueShares;
    models: NormalizedRevenueModel[];
    /** Sorted by account. */
    charges: { account: Account; amount: bigint }[];
  } | null;
  params: {
    kappaWad: bigint;
    rhoWad: bigint;
    betaWad: bigint;
    toleranceScore: bigint;
    sigma: SigmaBounds;
    vestingBps: bigint;
  };
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function readId(value: unknown, name: string): string {
  if (typeof value !== "string" || value.length === 0) {
    throw new ValidationError("ID_INVALID", `${name} ${JSON.stringify(value)} is not a non-empty string`, {
      hint: "give every task and submission a non-empty string id",
    });
  }
  return value;
}

/**
 * Stage 1: validate and normalize. Amounts become bigints (negative or fractional → AmountError),
 * accounts lowercase, every list sorted by its key so the input order cannot change any output.
 */
export function validateEpochInputs(inputs: EpochInputs): NormalizedEpochInputs {
  const raw = { ...DEFAULT_EPOCH_PARAMS, ...(inputs.params ?? {}) };
  dyadicExponent(raw.betaWad);
  const params = {
    kappaWad: readWad(raw.kappaWad, "κ", 1n, WAD),
    rhoWad: readWad(raw.rhoWad, "ρ", 0n, WAD),
    betaWad: raw.betaWad,
    toleranceScore: readAmount(raw.toleranceScore, "toleranceScore"),
    sigma: readSigmaBounds(raw.sigmaMinBps, raw.sigmaMaxBps),
    vestingBps: readBps(raw.vestingBps, "vestingBps"),
  };

  const tasks = inputs.tasks
    .map((t, i) => {
      const id = readId(t.id, `tasks[${i}].id`);
      const weight = readAmount(t.weight, `tasks[${i}].weight`);
      if (weight > MAX_TASK_WEIGHT) {
        throw new ValidationError(
          "TASK_WEIGHT_TOO_LARGE",
          `task ${id} has weight ${weight}, above ${MAX_TASK_WEIGHT}`,
          {
            hint: `task weights are whole numbers from 0 to ${MAX_TASK_WEIGHT}: a task's share of the Arena emission is weight / Σ weights`,
            details: { task: id, weight: String(weight) },
          },
        );
      }
      const pool = readAmount(t.pool ?? 0n, `tasks[${i}].pool`);
      const creator =
        t.creator === undefined ? undefined : normalizeAccount(t.creator, `tasks[${i}].creator`);
      if (pool > 0n && creator === undefined) {
        throw new ValidationError("POOL_CREATOR_MISSING", `task ${id} has a funded pool but no creator`, {
          hint: "name the account that funded the pool: what the pool does not pay goes back to it",
          details: { task: id },
        });
      }
      return {
        id,
        weight,
        gammaBps: assertGamma(t.gammaBps),
        direction: readDirection(t.direction, `tasks[${i}].direction`),
        pool,
        ...(creator === undefined ? {} : { creator }),
        ...(t.stakeSnapshotBlock === undefined
          ? {}
          : {
              stakeSnapshotBlock: readDecimalString(t.stakeSnapshotBlock, `tasks[${i}].stakeSnapshotBlock`),
            }),
        ...(t.drawSeed === undefined ? {} : { drawSeed: readDrawSeed(t.drawSeed, `tasks[${i}].drawSeed`) }),
      };
    })
    .sort((a, b) => compare(a.id, b.id));
  assertUnique(
    tasks.map((t) => t.id),
    "task id",
  );
  const arenaIds = new Set(tasks.map((t) => t.id));
  const flTasks = readFlTasks(inputs.flTasks ?? [], arenaIds);
  // Executed slashes may name an FL task too (its vote-rule and failed-duty slashes).
  const taskIds = new Set([...arenaIds, ...flTasks.map((t) => t.id)]);
  const requireTask = (task: unknown, name: string): string => {
    const id = readId(task, name);
    if (!taskIds.has(id)) {
      throw new ValidationError(
        "UNKNOWN_TASK",
        `${name} names task ${JSON.stringify(id)}, which is not listed`,
        {
          hint: "list every task that submissions or validators refer to in `tasks`",
        },
      );
    }
    return id;
  };

  const submissions = inputs.submissions
    .map((s, i) => {
      const delegators = (s.delegators ?? [])
        .map((d, j) => ({
          account: normalizeAccount(d.account, `submissions[${i}].delegators[${j}].account`),
          amount: readAmount(d.amount, `submissions[${i}].delegators[${j}].amount`),
          seconds: readCount(d.seconds, `submissions[${i}].delegators[${j}].seconds`),
        }))
        .sort((a, b) => compare(a.account, b.account));
      assertUnique(
        delegators.map((d) => d.account),
        "delegator account in one pool",
      );
      let sigmaBps: bigint | null = null;
      if (s.sigmaBps !== undefined) {
        clampSigma(s.sigmaBps, params.sigma); // rejects σ outside [0, 10000] bps
        sigmaBps = BigInt(s.sigmaBps);
      } else if (delegators.length > 0) {
        throw new ValidationError("SIGMA_MISSING", `submission ${s.id} has delegators but no pool σ`, {
          hint: "give sigmaBps (the share of the delegation gain the trainer keeps) for every pool",
        });
      }
      const delegatedStake = delegators.reduce((sum, d) => sum + d.amount, 0n);
      if (
        s.delegatedStake !== undefined &&
        readAmount(s.delegatedStake, `submissions[${i}].delegatedStake`) !== delegatedStake
      ) {
        throw new ValidationError(
          "DELEGATED_STAKE_MISMATCH",
          `submission ${s.id}: delegatedStake ${String(s.delegatedStake)} is not the sum of its delegators' amounts (${delegatedStake})`,
          { hint: "list every delegator of the pool with its amount, or leave delegatedStake out" },
        );
      }
      return {
        id: readId(s.id, `submissions[${i}].id`),
        task: requireTask(s.task, `submissions[${i}].task`),
        account: normalizeAccount(s.account, `submissions[${i}].account`),
        stake: readAmount(s.stake, `submissions[${i}].stake`),
        delegatedStake,
        sigmaBps,
        delegators,
        ...(s.refereedScore === undefined
          ? {}
          : { refereedScore: readSignedInteger(s.refereedScore, `submissions[${i}].refereedScore`) }),
      };
    })
    .sort((a, b) => compare(a.id, b.id));
  assertUnique(
    submissions.map((s) => s.id),
    "submission id",
  );
  assertUnique(submissions.map((s) => `${s.task}/${s.account}`).sort(), "trainer (task/account)");
  const submissionTask = new Map(submissions.map((s) => [s.id, s.task]));

  const validators = inputs.validators
    .map((v, i) => {
      const task = requireTask(v.task, `validators[${i}].task`);
      const account = normalizeAccount(v.account, `validators[${i}].account`);
      const scores = v.scores
        .map((s, j) => {
          const submission = readId(s.submission, `validators[${i}].scores[${j}].submission`);
          if (submissionTask.get(submission) !== task) {
            throw new ValidationError(
              "UNKNOWN_SUBMISSION",
              `validator ${account} scored ${JSON.stringify(submission)}, which is not a submission of task ${task}`,
              { hint: "validators may score only submissions of the task they validate" },
            );
          }
          const score = readSignedInteger(s.score, `validators[${i}].scores[${j}].score`);
          if (s.reveal === undefined) return { submission, score };
          return {
            submission,
            score,
            reveal: readScoreReveal(s.reveal, account, `validators[${i}].scores[${j}].reveal`),
          };
        })
        .sort((a, b) => compare(a.submission, b.submission));
      assertUnique(
        scores.map((s) => `${account} → ${s.submission}`),
        "score of validator",
      );
      return {
        account,
        task,
        stake: readAmount(v.stake, `validators[${i}].stake`),
        completedAssignments: readCount(v.completedAssignments, `validators[${i}].completedAssignments`),
        scores,
      };
    })
    .sort((a, b) => compare(a.task, b.task) || compare(a.account, b.account));
  assertUnique(
    validators.map((v) => `${v.task}/${v.account}`),
    "validator (task/account)",
  );
  const trainerKeys = new Set(submissions.map((s) => `${s.task}/${s.account}`));
  for (const v of validators) {
    if (trainerKeys.has(`${v.task}/${v.account}`)) {
      throw new ProtocolError(
        "TRAINER_AND_VALIDATOR",
        `${v.account} is both trainer and validator on task ${v.task}`,
        {
          hint: "an account may stake on a task as trainer or as validator, not both (SPEC §3)",
        },
      );
    }
  }

  const slashes = (inputs.slashes ?? [])
    .map((s, i) => {
      const account = normalizeAccount(s.account, `slashes[${i}].account`);
      const prover =
        s.prover === undefined || s.prover === null
          ? null
          : normalizeAccount(s.prover, `slashes[${i}].prover`);
      if (prover === account) {
        throw new ProtocolError("SELF_PROOF", `${account} cannot be paid for proving its own fault`, {
          hint: "name a different prover, or none (the prover share then goes to the treasury)",
        });
      }
      if (typeof s.reason !== "string" || s.reason.length === 0) {
        throw new ValidationError("SLASH_REASON_MISSING", `slashes[${i}] has no reason`, {
          hint: 'say which fault was proven, e.g. "copied submission" or "dishonest score"',
        });
      }
      return {
        account,
        stake: readAmount(s.stake, `slashes[${i}].stake`),
        fractionBps: readBps(s.fractionBps, `slashes[${i}].fractionBps`),
        prover,
        reason: s.reason,
      };
    })
    .sort(
      (a, b) =>
        compare(a.account, b.account) ||
        compare(a.reason, b.reason) ||
        compare(a.prover ?? "", b.prover ?? "") ||
        compare(String(a.stake), String(b.stake)) ||
        compare(String(a.fractionBps), String(b.fractionBps)),
    );

  const executedSlashes = readExecutedSlashes(inputs.executedSlashes ?? [], requireTask);
  const revenue = inputs.revenue === undefined ? null : readRevenue(inputs.revenue);

  return {
    epoch: readCount(inputs.epoch, "epoch"),
    emission: readAmount(inputs.emission, "emission"),
    flStake: inputs.flStake === undefined ? null : readAmount(inputs.flStake, "flStake"),
    mintIndex: inputs.mintIndex === undefined ? null : readDecimalString(inputs.mintIndex, "mintIndex"),
    treasury: normalizeAccount(inputs.treasury, "treasury"),
    tasks,
    submissions,
    validators,
    slashes,
    executedSlashes,
    flTasks,
    revenue,
    params,
  };
}

/** The epoch's revenue: shares, models (see readRevenueModels) and charges, Σ charges = Σ model revenue. */
function readRevenue(revenue: NonNullable<EpochInputs["revenue"]>): NormalizedEpochInputs["revenue"] {
  const shares = readRevenueShares(revenue.shares);
  const models = readRevenueModels(revenue.models ?? []);
  const charges = (revenue.charges ?? [])
    .map((c, i) => ({
      account: normalizeAccount(c.account, `revenue.charges[${i}].account`),
      amount: readAmount(c.amount, `revenue.charges[${i}].amount`),
    }))
    .sort((a, b) => compare(a.account, b.account));
  assertUnique(
    charges.map((c) => c.account),
    "charged account",
  );
  const charged = charges.reduce((sum, c) => sum + c.amount, 0n);
  const earned = models.reduce((sum, m) => sum + m.revenue, 0n);
  if (charged !== earned) {
    throw new ValidationError(
      "REVENUE_CHARGES_MISMATCH",
      `the epoch's usage charges sum to ${charged}, but its models' revenue sums to ${earned}`,
      {
        hint: "every FLOCK charged to a payer is some model's revenue: list each collected charge and each model's share of it",
        details: { charged: String(charged), revenue: String(earned) },
      },
    );
  }
  return { shares, models, charges };
}
