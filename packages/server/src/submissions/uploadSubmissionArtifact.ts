import type { Readable } from "node:stream";
import { AuthError, ConflictError } from "@flock/core";
import { type Submission, withTransaction } from "@flock/store";
import type { AppContext } from "../deps.ts";
import { jobInput } from "../jobs/jobPayloads.ts";
import { putSubmissionArtifact } from "../tasks/taskTypes.ts";
import { assignSubmission, taskSeed } from "../validation/assignSubmission.ts";
import { findNearDuplicate } from "./findNearDuplicate.ts";
import { SLASH_COPY_JOB } from "./slashCopy.ts";

/**
 * The committer streams the artifact of its commit (size-limited, hash = commit; the artifact store refuses other
 * bytes). SPEC §2.1: a byte-identical or near-identical (LoRA ΔW cosine ≥ 0.995) copy of another trainer's
 * earlier work is marked `copy` and gets a slash job; anything else is accepted, and assigned at once when the
 * task already validates.
 */
export async function uploadSubmissionArtifact(
  ctx: AppContext,
  uploader: string,
  submissionId: number,
  bytes: Readable,
): Promise<Submission> {
  const submission = await ctx.repos.submissions.get(submissionId);
  if (uploader !== submission.trainer) {
    throw new AuthError("NOT_SUBMITTER", `submission ${submission.id} belongs to ${submission.trainer}`, {
      hint: "upload with the key that committed the submission",
      details: { submissionId: submission.id },
    });
  }
  if (submission.status === "replaced") {
    throw new ConflictError(
      "SUBMISSION_REPLACED",
      `submission ${submission.id} was replaced by submission ${submission.replacedBy}`,
      {
        hint: "upload the artifact of your latest commit; a replaced one is never scored",
        details: { submissionId: submission.id, replacedBy: submission.replacedBy },
      },
    );
  }
  if (submission.status !== "committed") {
    throw new ConflictError(
      "ARTIFACT_ALREADY_UPLOADED",
      `submission ${submission.id} is ${submission.status}`,
      {
        hint: "each commit takes one upload; commit again for a new artifact",
        details: { submissionId: submission.id, status: submission.status },
      },
    );
  }
  const task = await ctx.repos.tasks.get(submission.taskId);
  if (task.status !== "open" && task.status !== "validating") {
    throw new ConflictError("TASK_NOT_ACCEPTING_UPLOADS", `task ${task.id} is ${task.status}`, {
      hint: "upload committed artifacts before the task ends",
      details: { taskId: task.id, status: task.status },
    });
  }
  // A late reveal (the task already validates) is assigned at once, with the task's seed.
  const seed = task.status === "validating" ? await taskSeed(ctx, task.id) : undefined;
  // The task type's limit: the network's, or one MLP of the base model's shape for a tabular task.
  const stored = await putSubmissionArtifact(ctx, task, bytes, submission.commitHash);
  // Near-identical copies are found before the transaction: it reads artifacts, and PGlite's one
  // connection must not wait on files.
  const near = await findNearDuplicate(ctx.repos, ctx.artifacts, submission, stored.id);
  return withTransaction(ctx.db, async (tx) => {
    await tx.artifacts.record({
      id: stored.id,
      size: stored.size,
      mediaType: "application/octet-stream",
    });
    await tx.submissions.recordUpload(submission.id, {
      artifactId: stored.id,
      size: stored.size,
      uploadedAt: ctx.clock.now(),
    });
    // SPEC §2.1: a byte-identical later submission is a copy (invalid, slashable). Earlier = committed first.
    const [exact] = await tx.submissions.findEarlierWithContent(task.id, stored.id, submission.id);
    const copy =
      exact !== undefined
        ? { original: exact, reason: `byte-identical to submission ${exact.id} (${stored.id})` }
        : near !== undefined
          ? {
              original: near.original,
              reason: `weight delta near-identical to submission ${near.original.id} (cosine ${near.cosine.toFixed(6)} ≥ 0.995)`,
            }
          : undefined;
    const original = copy?.original;
    const settled =
      copy === undefined
        ? await tx.submissions.accept(submission.id)
        : await tx.submissions.markCopy(submission.id, { copyOf: copy.original.id, reason: copy.reason });
    if (settled.status === "accepted" && seed !== undefined) await assignSubmission(ctx, tx, settled, seed);
    if (settled.status === "copy") {
      await tx.jobs.schedule(
        jobInput(SLASH_COPY_JOB, {
          key: `submission:${settled.id}:slash`,
          runAt: ctx.clock.now(),
          payload: { submissionId: settled.id },
        }),
      );
    }
    await tx.events.append("submission.uploaded", {
      taskId: task.id,
      submissionId: submission.id,
      status: settled.status,
      ...(original === undefined ? {} : { copyOf: original.id }),
    });
    return settled;
  });
}
