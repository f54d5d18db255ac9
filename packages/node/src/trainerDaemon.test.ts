import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConflictError, contentId, FlockError } from "@flock/core";
import { afterAll, describe, expect, it } from "vitest";
import type { SubmissionView, TaskView, TrainerCoordinator } from "./coordinator.ts";
import { instructionJsonl, tinyBaseModel, tinyRecipe } from "./testing/tinyNetwork.ts";
import { TrainerDaemon } from "./trainerDaemon.ts";
import { engineTrainingBackend } from "./training/engineTrainingBackend.ts";
import type { TrainingBackend } from "./training/trainingBackend.ts";

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "flock-trainer-"));
  dirs.push(dir);
  return dir;
}

/**
 * An in-process coordinator with the commit-reveal rules the daemon relies on (one commit per hash, uploads
 * must match the commit, commits close at the deadline). The HTTP coordinator is exercised end to end by the
 * CLI's tests; this package may not depend on the server.
 */
class InProcessCoordinator implements TrainerCoordinator {
  readonly account = "0x00000000000000000000000000000000000000b0";
  readonly artifacts = new Map<string, Uint8Array>();
  readonly submissions: (SubmissionView & { artifact?: Uint8Array })[] = [];
  readonly tasks: TaskView[] = [];
  staked = true;
  commits = 0;
  uploads = 0;

  publish(bytes: Uint8Array): string {
    const id = contentId(bytes);
    this.artifacts.set(id, bytes);
    return id;
  }
  async listTasks(status: "open" | "validating") {
    return this.tasks.filter((t) => t.submissionDeadline.getTime() > Date.now() === (status === "open"));
  }
  async isStakedTrainer() {
    return this.staked;
  }
  async fetchArtifact(id: string) {
    const bytes = this.artifacts.get(id);
    if (bytes === undefined) throw new FlockError("ARTIFACT_NOT_FOUND", id);
    return bytes;
  }
  async listOwnSubmissions(taskId: number) {
    return this.submissions.filter((s) => s.taskId === taskId && s.trainer === this.account);
  }
  async commit(taskId: number, commitHash: string) {
    this.commits++;
    if (this.submissions.some((s) => s.commitHash === commitHash))
      throw new ConflictError("SUBMISSION_EXISTS", commitHash);
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
    this.uploads++;
    const submission = this.submissions.find((s) => s.id === submissionId)!;
    if (contentId(artifact) !== submission.commitHash)
      throw new FlockError("ARTIFACT_HASH_MISMATCH", "mismatch");
    submission.status = "accepted";
    submission.artifact = artifact;
    return submission;
  }
}

function openTask(coordinator: InProcessCoordinator, id = 1): TaskView {
  const task: TaskView = {
    id,
    title: "t",
    status: "open",
    type: "lm-lora",
    baseModel: coordinator.publish(tinyBaseModel()),
    trainingSetId: coordinator.publish(new TextEncoder().encode(instructionJsonl(1, 32))),
    validationCommitment: contentId("hidden"),
    contextLength: 48,
    maxTrainableParams: 1e6,
    submissionDeadline: new Date(Date.now() + 60_000),
    endTime: new Date(Date.now() + 120_000),
  };
  coordinator.tasks.push(task);
  return task;
}

/** The engine backend, killed once at `step` (as a crash would), then normal. */
function crashingOnce(step: number): TrainingBackend {
  const engine = engineTrainingBackend({ checkpointEvery: 2 });
  let crashed = false;
  return {
    train: (job, onProgress) =>
      engine.train(job, (p) => {
        if (!crashed && p.step === step) {
          crashed = true;
          throw new Error("process killed");
        }
        onProgress?.(p);
      }),
  };
}

describe("trainer daemon", () => {
  it("trains, commits and uploads once per staked open task, and ignores tasks it is not staked on", async () => {
    const coordinator = new InProcessCoordinator();
    openTask(coordinator);
    const events: string[] = [];
    const daemon = new TrainerDaemon({
      coordinator,
      backend: engineTrainingBackend(),
      recipe: tinyRecipe("careful", 3),
      stateDir: await tempDir(),
      onEvent: (e) => events.push(e.kind),
    });
    coordinator.staked = false;
    // Nothing to do is reported as such: one open task, none staked on, none worked.
    expect(await daemon.runOnce()).toEqual({ openTasks: 1, stakedTasks: [], worked: [], alreadyDone: [] });
    expect(coordinator.commits).toBe(0);
    coordinator.staked = true;
    expect(await daemon.runOnce()).toEqual({ openTasks: 1, stakedTasks: [1], worked: [1], alreadyDone: [] });
    // A later pass counts the finished task as done before, not as worked again.
    expect(await daemon.runOnce()).toEqual({ openTasks: 1, stakedTasks: [1], worked: [], alreadyDone: [1] });
    expect(coordinator.commits).toBe(1);
    expect(coordinator.uploads).toBe(1);
    expect(coordinator.submissions[0]!.status).toBe("accepted");
    expect(events.filter((e) => e === "training")).toHaveLength(3);
    expect(events.slice(-3)).toEqual(["trained", "committed", "uploaded"]);
    expect((await daemon.state()).tasks["1"]).toMatchObject({ phase: "uploaded", status: "accepted" });
  });

  it("a crash mid-training resumes from the checkpoint and submits the same artifact as an uninterrupted run", async () => {
    const straight = new InProcessCoordinator();
    openTask(straight);
    await new TrainerDaemon({
      coordinator: straight,
      backend: engineTrainingBackend({ checkpointEvery: 2 }),
      recipe: tinyRecipe("balanced", 6),
      stateDir: await tempDir(),
    }).runOnce();

    const coordinator = new InProcessCoordinator();
    openTask(coordinator);
    const stateDir = await tempDir();
    const backend = crashingOnce(5);
    const daemon = () =>
      new TrainerDaemon({ coordinator, backend, recipe: tinyRecipe("balanced", 6), stateDir });
    await daemon().runOnce();
    expect((await daemon().state()).tasks["1"]).toMatchObject({
      phase: "pending",
      attempts: 1,
      error: { code: "TRAINER_STEP_FAILED" },
    });
    expect(coordinator.commits).toBe(0);
    await daemon().runOnce();
    expect(coordinator.submissions[0]!.commitHash).toBe(straight.submissions[0]!.commitHash);
  });

  it("a crash between commit and recording it never commits twice: the restarted daemon finds its commit and uploads", async () => {
    const coordinator = new InProcessCoordinator();
    openTask(coordinator);
    const stateDir = await tempDir();
    const first = new TrainerDaemon({
      coordinator,
      backend: engineTrainingBackend(),
      recipe: tinyRecipe("careful", 2),
      stateDir,
    });
    // Fail the upload so the daemon stops after committing; then forget the commit (as a crash before the write would).
    const upload = coordinator.upload.bind(coordinator);
    coordinator.upload = async () => {
      throw new Error("connection reset");
    };
    await first.runOnce();
    expect(coordinator.commits).toBe(1);
    const state = await first.state();
    state.tasks["1"] = { ...state.tasks["1"]!, phase: "trained", attempts: 0 };
    delete state.tasks["1"]!.submissionId;
    await (await import("node:fs/promises")).writeFile(
      join(stateDir, "trainer-state.json"),
      JSON.stringify(state),
    );
    coordinator.upload = upload;
    await new TrainerDaemon({
      coordinator,
      backend: engineTrainingBackend(),
      recipe: tinyRecipe("careful", 2),
      stateDir,
    }).runOnce();
    expect(coordinator.commits).toBe(1);
    expect(coordinator.submissions).toHaveLength(1);
    expect(coordinator.submissions[0]!.status).toBe("accepted");
  });

  it("gives up on a task after repeated failures and records why", async () => {
    const coordinator = new InProcessCoordinator();
    const task = openTask(coordinator);
    coordinator.artifacts.delete(task.trainingSetId);
    const daemon = new TrainerDaemon({
      coordinator,
      backend: engineTrainingBackend(),
      recipe: tinyRecipe("careful", 2),
      stateDir: await tempDir(),
      maxAttempts: 2,
    });
    await daemon.runOnce();
    await daemon.runOnce();
    await daemon.runOnce();
    expect((await daemon.state()).tasks["1"]).toMatchObject({
      phase: "failed",
      attempts: 2,
      error: { code: "ARTIFACT_NOT_FOUND" },
    });
  });
});

describe("trainer daemon after the deadline", () => {
  it("reveals a commit it made before the deadline when it restarts during validation", async () => {
    const coordinator = new InProcessCoordinator();
    const task = openTask(coordinator);
    const stateDir = await tempDir();
    const upload = coordinator.upload.bind(coordinator);
    coordinator.upload = async () => {
      throw new Error("killed during upload");
    };
    const daemon = new TrainerDaemon({
      coordinator,
      backend: engineTrainingBackend(),
      recipe: tinyRecipe("careful", 2),
      stateDir,
    });
    await daemon.runOnce();
    expect((await daemon.state()).tasks["1"]?.phase).toBe("committed");
    task.submissionDeadline = new Date(Date.now() - 1000);
    coordinator.upload = upload;
    await daemon.runOnce();
    expect((await daemon.state()).tasks["1"]?.phase).toBe("uploaded");
    expect(coordinator.submissions[0]!.status).toBe("accepted");
  });
});
