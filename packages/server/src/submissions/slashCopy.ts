import type { AppContext } from "../deps.ts";
import { JOB_KINDS, readJobPayload } from "../jobs/jobPayloads.ts";
import type { JobHandler } from "../scheduler/scheduler.ts";
import { slashWithEvidence } from "../slashes/slashWithEvidence.ts";

/** Job kind: slash the trainer of a submission found to be a copy. */
export const SLASH_COPY_JOB = JOB_KINDS.slashCopy;

/**
 * SPEC §2.1/§3: a copied submission is invalid and slashable. The evidence (both submissions, their
 * artifacts and the reason) is published in the artifact store as canonical JSON; its sha256 is the
 * on-chain evidence hash, so a retried job slashes once (the chain refuses an evidence hash twice and the
 * store keeps one slash per evidence). The coordinator found the fault, so the prover share goes to the
 * treasury (the contract needs a prover: the treasury is named, and the store records no prover). The slash
 * is listed in the task's epoch report, whose settlement waits for this job.
 */
export function slashCopyHandlers(ctx: AppContext): Record<string, JobHandler> {
  return {
    [SLASH_COPY_JOB]: async (job) => {
      const { submissionId } = readJobPayload(job, SLASH_COPY_JOB);
      const copy = await ctx.repos.submissions.get(submissionId);
      if (copy.status !== "copy" || copy.copyOf === null) return;
      const original = await ctx.repos.submissions.get(copy.copyOf);
      await slashWithEvidence(ctx, {
        taskId: copy.taskId,
        account: copy.trainer,
        fractionBps: ctx.config.copySlashBps,
        evidence: {
          kind: "copied-submission",
          taskId: copy.taskId,
          copy: {
            submission: copy.id,
            trainer: copy.trainer,
            artifact: copy.artifactId,
            committedAt: copy.committedAt,
          },
          original: {
            submission: original.id,
            trainer: original.trainer,
            artifact: original.artifactId,
            committedAt: original.committedAt,
          },
          reason: copy.reason,
        },
        reason: copy.reason ?? "copied submission",
        event: { submissionId: copy.id },
      });
    },
  };
}
