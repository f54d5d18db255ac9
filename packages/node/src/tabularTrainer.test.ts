import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { contentId, FlockError } from "@flock/core";
import { afterAll, describe, expect, it } from "vitest";
import type { SubmissionView, TaskView, TrainerCoordinator } from "./coordinator.ts";
import { recipe, tabularRecipe } from "./recipe.ts";
import { tinyTabularTask } from "./testing/tinyTabular.ts";
import { TrainerDaemon } from "./trainerDaemon.ts";
import { engineTrainingBackend } from "./training/engineTrainingBackend.ts";
import type { TrainingBackend } from "./training/trainingBackend.ts";

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "flock-tabular-trainer-"));
  dirs.push(dir);
  return dir;
}

/** One open classifier task and what the trainer committed and uploaded to it. */
class OneTaskCoordinator implements TrainerCoordinator {
  readonly account = "0x00000000000000000000000000000000000000c0";
  readonly files = tinyTabularTask("classifier", { trainRows: 128, hiddenRows: 16 });
  readonly artifacts = new Map<string, Uint8Array>([
    [contentId(this.files.baseModel), this.files.baseModel],
    [contentId(this.files.trainingCsv), new TextEncoder().encode(this.files.trainingCsv)],
  ]);
  readonly submissions: (SubmissionView & { artifact?: Uint8Array })[] = [];
  fetched = 0;
  readonly task: TaskView = {
    id: 1,
    title: "classify",
    status: "open",
    type: "classifier",
    baseModel: contentId(this.files.baseModel),
    trainingSetId: contentId(this.files.trainingCsv),
    validationCommitment: contentId(this.files.hiddenCsv),
    contextLength: 1,
    maxTrainableParams: 1000,
    submissionDeadline: new Date(Date.now() + 60_000),
    endTime: new Date(Date.now() + 120_000),
  };
  async listTasks(status: "open" | "validating") {
    return status === "open" ? [this.task] : [];
  }
  async isStakedTrainer() {
    return true;
  }
  async fetchArtifact(id: string) {
    this.fetched++;
    const bytes = this.artifacts.get(id);
    if (bytes === undefined) throw new FlockError("ARTIFACT_NOT_FOUND", id);
    return bytes;
  }
  async listOwnSubmissions() {
    return this.submissions;
  }
  async commit(taskId: number, commitHash: string) {
    const submission = {
      id: this.submissions.length + 1,
      taskId,
      trainer: this.account,
      commitHash,
      status: "committed",
    };
    this.submissions.push(submission);
    return submission;
  }
  async upload(submissionId: number, artifact: Uint8Array) {
    const submission = this.submissions.find((s) => s.id === submissionId)!;
    submission.status = "accepted";
    submission.artifact = artifact;
    return submission;
  }
}

describe("the trainer daemon on a classifier task", () => {
  const settings = { recipe: recipe("balanced"), tabularRecipe: tabularRecipe("balanced", { epochs: 3 }) };

  it("a crash mid-training resumes from the checkpoint and submits the same model as an uninterrupted run", async () => {
    const straight = new OneTaskCoordinator();
    await new TrainerDaemon({
      coordinator: straight,
      backend: engineTrainingBackend({ checkpointEvery: 2 }),
      ...settings,
      stateDir: await tempDir(),
    }).runOnce();
    expect(straight.submissions[0]).toMatchObject({ status: "accepted" });

    const engine = engineTrainingBackend({ checkpointEvery: 2 });
    let crashed = false;
    const crashing: TrainingBackend = {
      train: engine.train,
      trainTabular: (job, onProgress) =>
        engine.trainTabular!(job, (p) => {
          if (!crashed && p.step === 7) {
            crashed = true;
            throw new Error("process killed");
          }
          onProgress?.(p);
        }),
    };
    const coordinator = new OneTaskCoordinator();
    const stateDir = await tempDir();
    const daemon = () => new TrainerDaemon({ coordinator, backend: crashing, ...settings, stateDir });
    await daemon().runOnce();
    expect((await daemon().state()).tasks["1"]).toMatchObject({ phase: "pending", attempts: 1 });
    expect(coordinator.submissions).toEqual([]);
    await daemon().runOnce();
    expect(coordinator.submissions[0]!.commitHash).toBe(straight.submissions[0]!.commitHash);
  });

  it("a backend that cannot train tabular tasks fails the task with a clear code before downloading anything", async () => {
    const coordinator = new OneTaskCoordinator();
    const daemon = new TrainerDaemon({
      coordinator,
      backend: { train: engineTrainingBackend().train },
      ...settings,
      stateDir: await tempDir(),
      maxAttempts: 1,
    });
    await daemon.runOnce();
    expect((await daemon.state()).tasks["1"]).toMatchObject({
      phase: "failed",
      error: { code: "TRAINER_TASK_TYPE_UNSUPPORTED" },
    });
    expect(coordinator.fetched).toBe(0);
    expect(coordinator.submissions).toEqual([]);
  });
});
