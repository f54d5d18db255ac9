import { contentId, FlockError } from "@flock/core";
import { type FlockClient, type Submission, type Task, uploadStream } from "@flock/sdk";
import { ArtifactRejectedError } from "./artifacts/artifactRejection.ts";
import type { SubmissionView, TaskView, TrainerCoordinator, ValidatorCoordinator } from "./coordinator.ts";

export interface SdkCoordinatorOptions {
  /** The participant's address (the SDK client signs with its key). */
  account: string;
  /** The account's stake role on a task, read from the chain (never from the coordinator). */
  stakeRole(taskId: number): Promise<"trainer" | "validator" | null>;
}

function taskView(task: Task): TaskView {
  return {
    id: task.id,
    title: task.title,
    status: task.status,
    type: task.type,
    baseModel: task.baseModel,
    trainingSetId: task.trainingSetId,
    validationCommitment: task.validationCommitment,
    contextLength: task.contextLength,
    maxTrainableParams: task.maxTrainableParams,
    submissionDeadline: new Date(task.submissionDeadline),
    endTime: new Date(task.endTime),
  };
}

function submissionView(s: Submission): SubmissionView {
  return {
    id: s.id,
    taskId: s.taskId,
    trainer: s.trainer.toLowerCase(),
    commitHash: s.commitHash,
    status: s.status,
  };
}

/** The daemons' coordinator ports over the SDK client (signed HTTP, retried reads). */
export function sdkCoordinator(
  client: FlockClient,
  options: SdkCoordinatorOptions,
): TrainerCoordinator & ValidatorCoordinator {
  const account = options.account.toLowerCase();
  return {
    account,

    async listTasks(status) {
      return (await client.tasks.list({ status })).items.map(taskView);
    },

    async isStakedTrainer(taskId) {
      return (await options.stakeRole(taskId)) === "trainer";
    },

    // Public artifacts (base models, training sets) come from the coordinator, checked against their id.
    fetchArtifact: (id, onProgress) => client.artifacts.download(id, onProgress),

    async listOwnSubmissions(taskId) {
      return (await client.submissions.list(taskId)).map(submissionView).filter((s) => s.trainer === account);
    },

    async commit(taskId, commitHash) {
      return submissionView(await client.submissions.commit(taskId, commitHash));
    },

    async upload(submissionId, artifact, onProgress) {
      // Streamed, so progress follows the bytes sent; the signature covers the content id the trainer committed.
      const stream = uploadStream(artifact, onProgress);
      const submission = await client.submissions.uploadArtifact(submissionId, {
        stream,
        contentId: contentId(artifact),
      });
      return submissionView(submission);
    },

    async requestAssignments() {
      const open = await client.assignments.list("open");
      const views = [];
      for (const a of open) {
        const submission = await client.submissions.get(a.submissionId);
        views.push({
          id: a.id,
          submissionId: a.submissionId,
          taskId: submission.taskId,
          deadline: new Date(a.deadline),
        });
      }
      return views;
    },

    async openAssignment(assignmentId) {
      const assignment = (await client.assignments.list("open")).find((a) => a.id === assignmentId);
      if (assignment === undefined) {
        throw new FlockError(
          "ASSIGNMENT_NOT_OPEN",
          `assignment ${assignmentId} is not among this validator's open ones`,
          {
            hint: "request assignments again; it may have timed out and been reassigned",
            details: { assignmentId },
          },
        );
      }
      const submission = await client.submissions.get(assignment.submissionId);
      const task = await client.tasks.get(submission.taskId);
      const validationSet = await client.assignments.validationSet(assignmentId);
      return {
        assignment: {
          id: assignment.id,
          submissionId: assignment.submissionId,
          taskId: submission.taskId,
          deadline: new Date(assignment.deadline),
        },
        task: taskView(task),
        submission: {
          ...submissionView(submission),
          artifactId: submission.artifactId ?? "",
          size: submission.artifactSize ?? 0,
        },
        validationSet,
      };
    },

    async fetchAssignedArtifact(assignmentId, maxBytes) {
      const bytes = await client.assignments.artifact(assignmentId);
      if (bytes.length > maxBytes) {
        throw new ArtifactRejectedError(
          "ARTIFACT_TOO_LARGE",
          `the artifact has ${bytes.length} bytes, the limit is ${maxBytes}`,
          {
            size: bytes.length,
            maxBytes,
          },
        );
      }
      return bytes;
    },

    async refuse(assignmentId, reason) {
      await client.assignments.refuse(assignmentId, `${reason.code}: ${reason.message}`.slice(0, 2000));
    },

    async commitScore(assignmentId, commitment) {
      await client.assignments.commitScore(assignmentId, commitment as `0x${string}`);
    },

    async revealScore(assignmentId, reveal) {
      await client.assignments.revealScore(assignmentId, reveal);
    },
  };
}
