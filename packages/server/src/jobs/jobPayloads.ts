import { ValidationError } from "@flock/core";
import type { Job, NewJob } from "@flock/store";
import { type Static, Type } from "typebox";
import { Value } from "typebox/value";

/**
 * Every job kind the coordinator schedules and the payload it carries, in one place. A producer schedules a job
 * with `jobInput(kind, …)` (its payload type-checked against the kind), and a handler reads it back with
 * `readJobPayload(job, kind)`, which validates what the store holds: a malformed payload (a row written by an
 * older build, edited by hand, or a bug) fails the job permanently with `JOB_PAYLOAD_INVALID`, naming the job and
 * the fields, instead of crashing the handler halfway through its work.
 */

/** A row id (tasks, submissions, assignments): a positive int4. */
const RowId = Type.Integer({ minimum: 1, maximum: 2_147_483_647 });
/** An EVM address as the coordinator stores it (lowercase). */
const LowerAddress = Type.String({ pattern: "^0x[0-9a-f]{40}$" });
/** A signed fixed-point score (1e18 = 1.0) as a decimal string: JSON numbers cannot hold it exactly. */
const SignedDecimal = Type.String({ pattern: "^-?[0-9]{1,78}$" });
/** A non-negative fixed-point amount as a decimal string. */
const Decimal = Type.String({ pattern: "^[0-9]{1,78}$" });

/** A job about one task (its deadlines, its epoch close). */
export const TaskJobPayload = Type.Object({ taskId: RowId });
/** A keyed settle attempt of a task: `round` counts the looks at its slash jobs in flight. */
export const TaskSettlePayload = Type.Object({ taskId: RowId, round: Type.Integer({ minimum: 0 }) });
/** An assignment's deadline, or its failed-duty slash. */
export const AssignmentJobPayload = Type.Object({ assignmentId: RowId });
/** A submission's copy slash. */
export const SubmissionJobPayload = Type.Object({ submissionId: RowId });
/**
 * A dispute, fixed when it is opened so a retried job publishes the same evidence: the consensus (null when
 * nobody scored the submission) and the tolerance as decimal strings, who asked (null: the coordinator; absent
 * on disputes opened before it was recorded).
 */
export const DisputeJobPayload = Type.Object({
  taskId: RowId,
  submissionId: RowId,
  validator: LowerAddress,
  consensus: Type.Union([SignedDecimal, Type.Null()]),
  toleranceScore: Decimal,
  requestedBy: Type.Optional(Type.Union([Type.String({ pattern: "^0x[0-9a-fA-F]{40}$" }), Type.Null()])),
});
/**
 * One step of a federated task's round: `tick` counts the steps (each keyed apart), since a step that finds
 * replies still due schedules the next one.
 */
export const FlRoundJobPayload = Type.Object({
  taskId: RowId,
  round: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }),
  tick: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
});
/** One slash of an FL round's outcome. */
export const FlSlashJobPayload = Type.Object({
  taskId: RowId,
  round: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }),
  account: LowerAddress,
});
/** A job that needs no input (a reconcile pass). */
export const EmptyJobPayload = Type.Object({});

/** The kinds of job, by the name the code uses for each. */
export const JOB_KINDS = {
  closeSubmissions: "task.closeSubmissions",
  finalize: "task.finalize",
  settle: "task.settle",
  epochClose: "epoch.close",
  assignmentTimeout: "assignment.timeout",
  slashCopy: "submission.slashCopy",
  slashFailedDuty: "assignment.slashFailedDuty",
  dispute: "score.dispute",
  reconcile: "chain.reconcile",
  flStart: "fl.start",
  flRound: "fl.round",
  flSlash: "fl.slash",
} as const;

/** Each job kind's payload schema. */
export const JOB_PAYLOADS = {
  [JOB_KINDS.closeSubmissions]: TaskJobPayload,
  [JOB_KINDS.finalize]: TaskJobPayload,
  [JOB_KINDS.settle]: TaskSettlePayload,
  [JOB_KINDS.epochClose]: TaskJobPayload,
  [JOB_KINDS.assignmentTimeout]: AssignmentJobPayload,
  [JOB_KINDS.slashCopy]: SubmissionJobPayload,
  [JOB_KINDS.slashFailedDuty]: AssignmentJobPayload,
  [JOB_KINDS.dispute]: DisputeJobPayload,
  [JOB_KINDS.reconcile]: EmptyJobPayload,
  [JOB_KINDS.flStart]: TaskJobPayload,
  [JOB_KINDS.flRound]: FlRoundJobPayload,
  [JOB_KINDS.flSlash]: FlSlashJobPayload,
} as const;

/** A job kind the coordinator schedules. */
export type JobKind = keyof typeof JOB_PAYLOADS;
/** The payload of a job of kind `K`. */
export type JobPayload<K extends JobKind> = Static<(typeof JOB_PAYLOADS)[K]>;

/** Whether `kind` is one the coordinator knows. */
export function isJobKind(kind: string): kind is JobKind {
  return Object.hasOwn(JOB_PAYLOADS, kind);
}

/** The first few schema violations of a payload, as `path: message` lines. */
function payloadErrors(kind: JobKind, payload: unknown): string[] {
  return [...Value.Errors(JOB_PAYLOADS[kind], payload)]
    .slice(0, 5)
    .map((error) => `${error.instancePath || "/"}: ${error.message}`);
}

/**
 * A job to schedule, its payload checked against its kind: a producer that builds a wrong payload fails at
 * once (a bug), never a handler later.
 */
export function jobInput<K extends JobKind>(
  kind: K,
  job: { runAt: Date; key?: string; payload: JobPayload<K> },
): NewJob {
  const errors = payloadErrors(kind, job.payload);
  if (errors.length > 0) {
    throw new ValidationError(
      "JOB_PAYLOAD_INVALID",
      `a ${kind} job's payload is malformed: ${errors.join("; ")}`,
      {
        hint: "this is a coordinator bug: report it with the job kind and payload",
        details: { kind, payload: job.payload, errors },
      },
    );
  }
  return {
    kind,
    runAt: job.runAt,
    ...(job.key === undefined ? {} : { key: job.key }),
    payload: job.payload as Record<string, unknown>,
  };
}

/**
 * A stored job's payload, validated against its kind. Throws `JOB_PAYLOAD_INVALID` (a ValidationError marked
 * permanent: the scheduler stops the job at once and reports it in `GET /health`) for a payload that does not
 * fit, or a job of another kind.
 */
export function readJobPayload<K extends JobKind>(job: Job, kind: K): JobPayload<K> {
  const errors =
    job.kind === kind ? payloadErrors(kind, job.payload) : [`the job is a ${job.kind}, not a ${kind}`];
  if (errors.length > 0) {
    throw new ValidationError(
      "JOB_PAYLOAD_INVALID",
      `job ${job.id} (${job.kind}) has a malformed payload: ${errors.join("; ")}`,
      {
        hint: `the job cannot run as stored; fix or delete job ${job.id}, then retry it with \`flock admin jobs retry ${job.id}\``,
        details: { jobId: job.id, kind: job.kind, errors, permanent: true },
      },
    );
  }
  return job.payload as JobPayload<K>;
}
