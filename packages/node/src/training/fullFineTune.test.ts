import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { contentId } from "@flock/core";
import { afterAll, describe, expect, it } from "vitest";
import { decodeBaseModel } from "../artifacts/baseModelArtifact.ts";
import { engineEvaluationBackend } from "../evaluation/engineEvaluationBackend.ts";
import { instructionJsonl, tinyBaseModel, tinyRecipe } from "../testing/tinyNetwork.ts";
import { engineTrainingBackend } from "./engineTrainingBackend.ts";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "flock-full-"));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe("full fine-tuning (lm-full) with the engine backends", () => {
  const baseModel = tinyBaseModel();
  const validationData = instructionJsonl(2, 16);
  const score = (artifact: Uint8Array) =>
    engineEvaluationBackend().evaluateFull!({
      baseModel,
      artifact,
      validationData,
      contextLength: 48,
      maxArtifactBytes: 1 << 24,
    });

  it("trains every weight of the decoder, keeps its config, lowers held-out BPC and is reproducible", async () => {
    const job = async () => ({
      baseModelId: contentId(baseModel),
      baseModel,
      trainingData: instructionJsonl(1, 64),
      recipe: tinyRecipe("bold", 12),
      workDir: await tempDir(),
    });
    const steps: number[] = [];
    const trained = await engineTrainingBackend().trainFull!(await job(), (p) => steps.push(p.step));
    expect(steps).toHaveLength(12);
    const base = decodeBaseModel(baseModel);
    const tuned = decodeBaseModel(trained);
    expect(tuned.config).toEqual(base.config);
    // Every tensor moved, not only the attention projections a LoRA recipe targets.
    for (const [name, p] of tuned.params) expect(p.data, name).not.toEqual(base.params.get(name)!.data);
    const before = await score(baseModel);
    const after = await score(trained);
    expect(after.kind).toBe("scored");
    expect(after.bpc).toBeLessThan(before.bpc);
    const again = await engineTrainingBackend().trainFull!(await job());
    expect(Buffer.from(again).equals(Buffer.from(trained))).toBe(true);
    // A LoRA adapter is not a full fine-tune: unscorable, the worst score.
    const adapter = await engineTrainingBackend().train({
      ...(await job()),
      recipe: tinyRecipe("careful", 2),
    });
    expect(await score(adapter)).toMatchObject({ kind: "unscorable", code: "ARTIFACT_MALFORMED" });
  });
});
