import type { FlockEvent, Job, Repositories } from "@flock/store";
import { JOB_KINDS, type JobPayload, readJobPayload } from "../jobs/jobPayloads.ts";

/**
 * Job kind: re-run one submission's evaluation because of one validator's score or refusal; the re-run is
 * the truth, and every validator of the submission off it is slashed.
 */
export const DISPUTE_JOB = JOB_KINDS.dispute;
/** Event appended when a dispute is opened, and when it is decided (its outcome). */
export const DISPUTE_EVENTS = { opened: "dispute.opened", decided: "dispute.decided" } as const;

/** What a dispute job carries: fixed when it is opened, so a retried job publishes the same evidence. */
export interface DisputePayload {
  taskId: number;
  submissionId: number;
  validator: string;
  /**
   * Stake-weighted median of the submission's scores when the dispute was opened, fixed point; null when
   * nobody scored it (a refusal disputed with no score to compare).
   */
  consensus: bigint | null;
  toleranceScore: bigint;
  /** Who asked for the re-run (`POST /disputes`), or null when the coordinator opened it at finalization. */
  requestedBy: string | null;
}

/** One dispute per (submission, validator): asking twice returns the first. */
export function disputeKey(submissionId: number, validator: string): string {
  return `dispute:${submissionId}:${validator.toLowerCase()}`;
}

/** The payload as stored in the jobs table (bigints as decimal strings). */
export function disputeJobPayload(dispute: DisputePayload): JobPayload<typeof DISPUTE_JOB> {
  return {
    taskId: dispute.taskId,
    submissionId: dispute.submissionId,
    requestedBy: dispute.requestedBy,
    validator: dispute.validator.toLowerCase(),
    consensus: dispute.consensus?.toString() ?? null,
    toleranceScore: dispute.toleranceScore.toString(),
  };
}

/** Read a dispute job's payload back (validated: `JOB_PAYLOAD_INVALID` when malformed). */
export function readDisputePayload(job: Job): DisputePayload {
  const p = readJobPayload(job, DISPUTE_JOB);
  return {
    taskId: p.taskId,
    submissionId: p.submissionId,
    validator: p.validator,
    consensus: p.consensus === null ? null : BigInt(p.consensus),
    toleranceScore: BigInt(p.toleranceScore),
    requestedBy: p.requestedBy ?? null,
  };
}

/** The existing dispute of a (submission, validator) pair, if any (a scan of the dispute jobs). */
export async function findDispute(
  repos: Repositories,
  submissionId: number,
  validator: string,
): Promise<Job | undefined> {
  const key = disputeKey(submissionId, validator);
  return (await repos.jobs.list({ kind: DISPUTE_JOB })).find((job) => job.key === key);
}

/** The `dispute.decided` event of a dispute, if it was decided (a scan of the decisions). */
export async function findDecision(repos: Repositories, disputeId: number): Promise<FlockEvent | undefined> {
  let after = 0;
  for (;;) {
    const page = await repos.events.listAfter(after, { types: [DISPUTE_EVENTS.decided], limit: 500 });
    const found = page.find((event) => event.payload.disputeId === disputeId);
    if (found !== undefined) return found;
    if (page.length < 500) return undefined;
    after = page[page.length - 1]!.id;
  }
}
