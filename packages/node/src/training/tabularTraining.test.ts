import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readTabularModel, scoreTabularSubmission } from "@flock/engine";
import { afterAll, describe, expect, it } from "vitest";
import { tabularRecipe } from "../recipe.ts";
import { tinyTabularTask } from "../testing/tinyTabular.ts";
import { trainTabularModel } from "./tabularTraining.ts";

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "flock-tabular-"));
  dirs.push(dir);
  return dir;
}

describe("training a tabular task's MLP", () => {
  const files = tinyTabularTask("classifier");
  const score = (artifact: Uint8Array) =>
    scoreTabularSubmission({
      taskType: "classifier",
      baseModel: files.baseModel,
      artifact,
      validationData: files.hiddenCsv,
      maxArtifactBytes: 1 << 20,
    });

  it("lowers the hidden log-loss from the base model's, keeps the base's spec, and is reproducible from its seed", async () => {
    const job = async () => ({
      taskType: "classifier" as const,
      baseModel: files.baseModel,
      trainingData: files.trainingCsv,
      recipe: tabularRecipe("balanced", { epochs: 8 }),
      workDir: await tempDir(),
    });
    const steps: number[] = [];
    const trained = await trainTabularModel(await job(), {}, (p) => steps.push(p.step));
    expect(steps).toHaveLength(8 * (512 / 32));
    expect(readTabularModel(trained).spec).toEqual(files.spec);
    const before = await score(files.baseModel);
    const after = await score(trained);
    expect(after.kind).toBe("scored");
    expect(after.metric).toBeLessThan(before.metric);
    const again = await trainTabularModel(await job());
    expect(Buffer.from(again).equals(Buffer.from(trained))).toBe(true);
  });

  it("refuses a base model of the other kind and a training CSV without its columns", async () => {
    const base = { baseModel: files.baseModel, recipe: tabularRecipe("careful"), workDir: await tempDir() };
    await expect(
      trainTabularModel({ ...base, taskType: "regressor", trainingData: files.trainingCsv }),
    ).rejects.toMatchObject({ code: "TABULAR_BASE_KIND_MISMATCH" });
    await expect(
      trainTabularModel({ ...base, taskType: "classifier", trainingData: "a,class\n1,0\n" }),
    ).rejects.toMatchObject({ code: "CSV_COLUMNS_MISSING" });
  });

  it("names the recipes it knows and checks overrides", () => {
    expect(tabularRecipe("bold", { epochs: 2 })).toMatchObject({ name: "bold", epochs: 2, seed: 3 });
    expect(() => tabularRecipe("reckless")).toThrow(expect.objectContaining({ code: "RECIPE_UNKNOWN" }));
    expect(() => tabularRecipe("careful", { batchSize: 0 })).toThrow(
      expect.objectContaining({ code: "RECIPE_INVALID" }),
    );
  });
});
