import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { contentId } from "@flock/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AssignmentBundle, AssignmentView, ValidatorCoordinator } from "./coordinator.ts";
import { engineEvaluationBackend } from "./evaluation/engineEvaluationBackend.ts";
import { instructionJsonl, tinyBaseModel, tinyRecipe } from "./testing/tinyNetwork.ts";
import { engineTrainingBackend } from "./training/engineTrainingBackend.ts";
import { ValidatorDaemon } from "./validatorDaemon.ts";

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "flock-validator-"));
  dirs.push(dir);
  return dir;
}

const baseModel = tinyBaseModel();
const baseModelId = contentId(baseModel);
const hidden = new TextEncoder().encode(instructionJsonl(2, 8));
let goodArtifact: Uint8Array;

beforeAll(async () => {
  goodArtifact = await engineTrainingBackend().train({
    baseModelId,
    baseModel,
    trainingData: instructionJsonl(1, 32),
    recipe: tinyRecipe("balanced", 3),
    workDir: await tempDir(),
  });
});

interface Served {
  artifact: Uint8Array;
  commitHash?: string;
  size?: number;
  validationSet?: Uint8Array;
}

/**
 * An in-process coordinator serving assignments as the HTTP API does (hidden set and artifact only with an
 * assignment); it records reports and refusals. The HTTP path is covered by the CLI's end-to-end tests.
 */
class InProcessCoordinator implements ValidatorCoordinator {
  readonly account = "0x00000000000000000000000000000000000000e0";
  readonly served = new Map<number, Served>();
  readonly reports = new Map<number, number>();
  readonly refusals = new Map<number, string>();

  assign(id: number, served: Served): void {
    this.served.set(id, served);
  }
  async requestAssignments(): Promise<AssignmentView[]> {
    return [...this.served.keys()]
      .filter((id) => !this.reports.has(id) && !this.refusals.has(id))
      .map((id) => ({ id, submissionId: id, taskId: 1, deadline: new Date(Date.now() + 60_000) }));
  }
  async openAssignment(id: number): Promise<AssignmentBundle> {
    const s = this.served.get(id)!;
    return {
      assignment: { id, submissionId: id, taskId: 1, deadline: new Date() },
      task: {
        id: 1,
        title: "t",
        status: "validating",
        baseModel: baseModelId,
        trainingSetId: contentId("train"),
        validationCommitment: contentId(hidden),
        contextLength: 48,
        maxTrainableParams: 1e6,
        submissionDeadline: new Date(),
      },
      submission: {
        id,
        taskId: 1,
        trainer: "0xb0",
        status: "accepted",
        commitHash: s.commitHash ?? contentId(s.artifact),
        artifactId: s.commitHash ?? contentId(s.artifact),
        size: s.size ?? s.artifact.length,
      },
      validationSet: s.validationSet ?? hidden,
    };
  }
  async fetchArtifact(id: string) {
    if (id !== baseModelId) throw new Error(`unknown artifact ${id}`);
    return baseModel;
  }
  async fetchAssignedArtifact(id: number) {
    return this.served.get(id)!.artifact;
  }
  async reportScore(id: number, score: { bpc: number }) {
    this.reports.set(id, score.bpc);
  }
  async refuse(id: number, reason: { code: string }) {
    this.refusals.set(id, reason.code);
  }
}

async function validator(coordinator: ValidatorCoordinator, maxArtifactBytes = 1_000_000) {
  return new ValidatorDaemon({
    coordinator,
    backend: engineEvaluationBackend(),
    stateDir: await tempDir(),
    maxArtifactBytes,
  });
}

describe("validator daemon", () => {
  it("two validators report bit-identical BPC for the same submission", async () => {
    const a = new InProcessCoordinator();
    const b = new InProcessCoordinator();
    a.assign(1, { artifact: goodArtifact });
    b.assign(1, { artifact: goodArtifact });
    await (await validator(a)).runOnce();
    await (await validator(b)).runOnce();
    expect(a.reports.get(1)).toBeGreaterThan(0);
    expect(Object.is(a.reports.get(1), b.reports.get(1))).toBe(true);
  });

  it("refuses, with a recorded reason and without stopping, artifacts that are malformed, mismatched or too large", async () => {
    const coordinator = new InProcessCoordinator();
    coordinator.assign(1, { artifact: new TextEncoder().encode("not weights") });
    coordinator.assign(2, { artifact: goodArtifact, commitHash: contentId("something else") });
    coordinator.assign(3, { artifact: goodArtifact, size: 5_000_000 });
    coordinator.assign(4, { artifact: goodArtifact });
    const daemon = await validator(coordinator);
    expect(await daemon.runOnce()).toBe(4);
    expect(Object.fromEntries(coordinator.refusals)).toEqual({
      1: "ARTIFACT_MALFORMED",
      2: "ARTIFACT_HASH_MISMATCH",
      3: "ARTIFACT_TOO_LARGE",
    });
    expect(coordinator.reports.has(4)).toBe(true);
    const state = await daemon.state();
    expect(state.assignments["1"]).toMatchObject({ outcome: "refused", code: "ARTIFACT_MALFORMED" });
    expect(state.assignments["4"]).toMatchObject({ outcome: "reported" });
    // A restarted daemon does not redo finished assignments.
    expect(await (await validator(coordinator)).runOnce()).toBe(0);
  });

  it("does not score against a hidden set that does not match the task's commitment", async () => {
    const coordinator = new InProcessCoordinator();
    coordinator.assign(1, {
      artifact: goodArtifact,
      validationSet: new TextEncoder().encode(instructionJsonl(3, 8)),
    });
    const daemon = await validator(coordinator);
    await daemon.runOnce();
    expect(coordinator.reports.size + coordinator.refusals.size).toBe(0);
    expect((await daemon.state()).assignments["1"]).toMatchObject({
      outcome: "failed",
      code: "VALIDATION_SET_MISMATCH",
    });
  });
});
