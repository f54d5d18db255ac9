import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { contentId } from "@flock/core";
import { afterAll, describe, expect, it } from "vitest";
import { decodeAdapterArtifact } from "./artifacts/adapterArtifact.ts";
import { decodeBaseModel } from "./artifacts/baseModelArtifact.ts";
import { engineEvaluationBackend } from "./evaluation/engineEvaluationBackend.ts";
import { instructionJsonl, tinyBaseModel, tinyRecipe } from "./testing/tinyNetwork.ts";
import { engineTrainingBackend } from "./training/engineTrainingBackend.ts";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "flock-node-"));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const baseModel = tinyBaseModel();
const baseModelId = contentId(baseModel);
const trainingData = instructionJsonl(1, 64);
const validationData = instructionJsonl(2, 16);

describe("engine backends with a tiny model", () => {
  it("a LoRA run reports every step and yields an adapter that lowers held-out BPC, scored reproducibly", async () => {
    const steps: number[] = [];
    const artifact = await engineTrainingBackend().train(
      { baseModelId, baseModel, trainingData, recipe: tinyRecipe("bold", 12), workDir: await tempDir() },
      (p) => steps.push(p.step),
    );
    expect(steps).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const { config } = decodeBaseModel(baseModel);
    const decoded = decodeAdapterArtifact(artifact, config, {
      baseModel: baseModelId,
      maxTrainableParams: 1e6,
    });
    expect(decoded.lora.r).toBe(8);

    const evaluator = engineEvaluationBackend();
    const job = {
      baseModelId,
      baseModel,
      validationData,
      contextLength: 48,
      maxTrainableParams: 1e6,
      maxArtifactBytes: 1 << 24,
    };
    const trained = await evaluator.evaluate({ ...job, artifact });
    const again = await evaluator.evaluate({ ...job, artifact });
    expect(Object.is(trained.bpc, again.bpc)).toBe(true);
    // An untrained adapter (B = 0) scores the base model itself.
    const untrained = await engineTrainingBackend().train({
      baseModelId,
      baseModel,
      trainingData,
      recipe: tinyRecipe("bold", 1),
      workDir: await tempDir(),
    });
    const before = await evaluator.evaluate({ ...job, artifact: untrained });
    expect(trained.bpc).toBeLessThan(before.bpc);
    expect(trained).toMatchObject({ kind: "scored" });
    expect(trained.kind === "scored" && trained.tokens).toBeGreaterThan(0);
  });

  it("a run interrupted after a checkpoint resumes to the same artifact as an uninterrupted run", async () => {
    const job = { baseModelId, baseModel, trainingData, recipe: tinyRecipe("balanced", 6) };
    const backend = engineTrainingBackend({ checkpointEvery: 3 });
    const straight = await backend.train({ ...job, workDir: await tempDir() });

    const workDir = await tempDir();
    await expect(
      backend.train({ ...job, workDir }, (p) => {
        if (p.step === 5) throw new Error("killed");
      }),
    ).rejects.toThrow("killed");
    const resumedSteps: number[] = [];
    const resumed = await backend.train({ ...job, workDir }, (p) => resumedSteps.push(p.step));
    expect(resumedSteps).toEqual([4, 5, 6]);
    expect(contentId(resumed)).toBe(contentId(straight));
  });
});
