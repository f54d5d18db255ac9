import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConflictError, contentId, opensCommitment } from "@flock/core";
import { scoreFromMetric, WORST_SCORE_MAGNITUDE } from "@flock/protocol";
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
 * open assignment; commitments before the task's end, reveals after it that must open them); it records
 * commitments, revealed scores and refusals. The HTTP path is covered by the SDK's and the CLI's tests.
 */
class InProcessCoordinator implements ValidatorCoordinator {
  readonly account = "0x00000000000000000000000000000000000000e0";
  readonly served = new Map<number, Served>();
  readonly commitments = new Map<number, string>();
  readonly reveals = new Map<number, { score: bigint; evidence: Record<string, unknown> }>();
  readonly refusals = new Map<number, string>();
  /** The task's end: reveals are taken after it. */
  readonly endTime = new Date(Date.now() + 60_000);
  /** How far this test's clock is ahead of the system clock (the daemon reads the same clock). */
  offsetMs = 0;
  /** The reveal window closed (the task was finalized). */
  finalized = false;
  /** Make the next commitment fail after (true) or before ("before") the coordinator records it. */
  crashOnCommit: false | "before" | "after" = false;

  assign(id: number, served: Served): void {
    this.served.set(id, served);
  }
  async requestAssignments(): Promise<AssignmentView[]> {
    return [...this.served.keys()]
      .filter((id) => !this.commitments.has(id) && !this.refusals.has(id))
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
        type: "lm-lora",
        baseModel: baseModelId,
        trainingSetId: contentId("train"),
        validationCommitment: contentId(hidden),
        contextLength: 48,
        maxTrainableParams: 1e6,
        submissionDeadline: new Date(),
        endTime: this.endTime,
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
  async commitScore(id: number, commitment: string) {
    if (this.crashOnCommit === "before") {
      this.crashOnCommit = false;
      throw new Error("connection reset before the commitment arrived");
    }
    if (this.commitments.has(id))
      throw new ConflictError("ASSIGNMENT_CLOSED", `assignment ${id} is committed`);
    this.commitments.set(id, commitment);
    if (this.crashOnCommit === "after") {
      this.crashOnCommit = false;
      throw new Error("connection reset after the commitment arrived");
    }
  }
  async revealScore(id: number, reveal: { score: bigint; salt: string; evidence: Record<string, unknown> }) {
    if (this.finalized) throw new ConflictError("REVEAL_WINDOW_CLOSED", "the reveal window closed");
    if (this.now().getTime() <= this.endTime.getTime())
      throw new ConflictError("REVEAL_TOO_EARLY", "too early");
    const commitment = this.commitments.get(id);
    if (commitment === undefined || this.reveals.has(id))
      throw new ConflictError("REVEAL_WITHOUT_COMMITMENT", "nothing to reveal");
    if (!opensCommitment(commitment, { assignmentId: id, score: reveal.score, salt: reveal.salt }))
      throw new ConflictError("REVEAL_MISMATCH", "does not open the commitment");
    this.reveals.set(id, { score: reveal.score, evidence: reveal.evidence });
  }
  async refuse(id: number, reason: { code: string }) {
    this.refusals.set(id, reason.code);
  }
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  /** The task ends: reveals are taken from now on. */
  end(): void {
    this.offsetMs = this.endTime.getTime() - Date.now() + 1000;
  }
}

async function validator(coordinator: InProcessCoordinator, stateDir?: string, maxArtifactBytes = 1_000_000) {
  return new ValidatorDaemon({
    coordinator,
    now: () => coordinator.now(),
    backend: engineEvaluationBackend(),
    stateDir: stateDir ?? (await tempDir()),
    maxArtifactBytes,
  });
}

describe("validator daemon", () => {
  it("two validators commit, then reveal after the task's end, bit-identical scores of the same submission", async () => {
    const a = new InProcessCoordinator();
    const b = new InProcessCoordinator();
    a.assign(1, { artifact: goodArtifact });
    b.assign(1, { artifact: goodArtifact });
    const first = await validator(a);
    const second = await validator(b);
    await first.runOnce();
    await second.runOnce();
    expect(a.commitments.get(1)).toMatch(/^0x[0-9a-f]{64}$/);
    // Different salts: equal scores do not give equal commitments, so nobody can match another's.
    expect(a.commitments.get(1)).not.toBe(b.commitments.get(1));
    // Before the end nothing is revealed.
    expect(a.reveals.size).toBe(0);
    a.end();
    b.end();
    await first.runOnce();
    await second.runOnce();
    const bpc = (await first.state()).assignments["1"];
    expect(bpc).toMatchObject({ outcome: "reported", metric: "bpc" });
    const score = a.reveals.get(1)!.score;
    expect(score).toBe(scoreFromMetric((bpc as { value: number }).value));
    expect(score).toBeGreaterThan(0n);
    expect(b.reveals.get(1)!.score).toBe(score);
  });

  it("scores malformed and oversize artifacts +∞ with the reason as evidence, refuses only mismatched bytes, never stops", async () => {
    const coordinator = new InProcessCoordinator();
    coordinator.assign(1, { artifact: new TextEncoder().encode("not weights") });
    coordinator.assign(2, { artifact: goodArtifact, commitHash: contentId("something else") });
    coordinator.assign(3, { artifact: goodArtifact, size: 5_000_000 });
    coordinator.assign(4, { artifact: goodArtifact });
    const daemon = await validator(coordinator);
    expect(await daemon.runOnce()).toBe(4);
    expect(Object.fromEntries(coordinator.refusals)).toEqual({ 2: "ARTIFACT_HASH_MISMATCH" });
    expect([...coordinator.commitments.keys()].sort()).toEqual([1, 3, 4]);
    coordinator.end();
    await daemon.runOnce();
    expect(coordinator.reveals.get(1)).toMatchObject({
      score: WORST_SCORE_MAGNITUDE,
      evidence: { unscorable: "ARTIFACT_MALFORMED" },
    });
    expect(coordinator.reveals.get(3)).toMatchObject({
      score: WORST_SCORE_MAGNITUDE,
      evidence: { unscorable: "ARTIFACT_TOO_LARGE", size: 5_000_000 },
    });
    expect(coordinator.reveals.get(4)!.score).toBeLessThan(WORST_SCORE_MAGNITUDE);
    const state = await daemon.state();
    expect(state.assignments["2"]).toMatchObject({ outcome: "refused", code: "ARTIFACT_HASH_MISMATCH" });
    expect(state.assignments["4"]).toMatchObject({ outcome: "reported" });
    // A restarted daemon does not redo finished assignments.
    expect(await (await validator(coordinator)).runOnce()).toBe(0);
  });

  it("resumes after a crash around the commitment: the saved salt opens what was committed", async () => {
    for (const when of ["before", "after"] as const) {
      const coordinator = new InProcessCoordinator();
      coordinator.assign(1, { artifact: goodArtifact });
      coordinator.crashOnCommit = when;
      const stateDir = await tempDir();
      await (await validator(coordinator, stateDir)).runOnce();
      const saved = (await (await validator(coordinator, stateDir)).state()).assignments["1"];
      expect(saved).toMatchObject({ outcome: "committing", salt: expect.stringMatching(/^0x[0-9a-f]{32}$/) });
      // A new process on the same state folder sends (or confirms) the commitment without scoring again.
      const restarted = await validator(coordinator, stateDir);
      await restarted.runOnce();
      expect((await restarted.state()).assignments["1"]).toMatchObject({ outcome: "committed" });
      coordinator.end();
      await restarted.runOnce();
      expect((await restarted.state()).assignments["1"]).toMatchObject({ outcome: "reported" });
      expect(coordinator.reveals.get(1)!.score).toBe(BigInt((saved as { score: string }).score));
    }
  });

  it("a reveal the coordinator no longer takes is recorded as a missed duty", async () => {
    const coordinator = new InProcessCoordinator();
    coordinator.assign(1, { artifact: goodArtifact });
    const daemon = await validator(coordinator);
    await daemon.runOnce();
    coordinator.end();
    coordinator.finalized = true;
    await daemon.runOnce();
    expect((await daemon.state()).assignments["1"]).toMatchObject({
      outcome: "unrevealed",
      code: "REVEAL_WINDOW_CLOSED",
    });
    expect(coordinator.reveals.size).toBe(0);
  });

  it("does not score against a hidden set that does not match the task's commitment", async () => {
    const coordinator = new InProcessCoordinator();
    coordinator.assign(1, {
      artifact: goodArtifact,
      validationSet: new TextEncoder().encode(instructionJsonl(3, 8)),
    });
    const daemon = await validator(coordinator);
    await daemon.runOnce();
    expect(coordinator.commitments.size + coordinator.refusals.size).toBe(0);
    expect((await daemon.state()).assignments["1"]).toMatchObject({
      outcome: "failed",
      code: "VALIDATION_SET_MISMATCH",
    });
  });
});
