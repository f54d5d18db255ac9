import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readTabularModel } from "@flock/engine";
import { afterAll, describe, expect, it } from "vitest";
import { tinyTabularTask } from "../../../node/src/testing/tinyTabular.ts";
import { parseHiddenSizes, readTabularTaskFiles } from "./taskInputs.ts";

const dir = mkdtempSync(join(tmpdir(), "flock-task-inputs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const classifier = tinyTabularTask("classifier", { trainRows: 64, hiddenRows: 16 });
const train = file("train.csv", classifier.trainingCsv);
const hidden = file("hidden.csv", classifier.hiddenCsv);

function code(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as { code: string }).code;
  }
  throw new Error("accepted");
}

describe("tabular task inputs", () => {
  it("builds a fresh seeded MLP from the training CSV's header: features, label last, classes from the labels", () => {
    const files = readTabularTaskFiles({
      type: "classifier",
      hidden: [8, 4],
      seed: 3,
      trainingPath: train,
      validationPath: hidden,
    });
    expect(files.spec).toEqual({
      config: { kind: "classifier", numFeatures: 6, hidden: [8, 4], numClasses: 3 },
      features: classifier.spec.features,
      label: "class",
    });
    expect(files.parameters).toBe(6 * 8 + 8 + 8 * 4 + 4 + 4 * 3 + 3);
    expect(readTabularModel(files.baseModel).spec).toEqual(files.spec);
    // Seeded: the same options give the same file.
    const again = readTabularTaskFiles({
      type: "classifier",
      hidden: [8, 4],
      seed: 3,
      trainingPath: train,
      validationPath: hidden,
    });
    expect(Buffer.from(again.baseModel).equals(Buffer.from(files.baseModel))).toBe(true);
  });

  it("takes a given base model of the task's type and checks both CSVs against its columns", () => {
    const base = file("base.safetensors", classifier.baseModel);
    const files = readTabularTaskFiles({
      type: "classifier",
      baseModelPath: base,
      seed: 1,
      trainingPath: train,
      validationPath: hidden,
    });
    expect(files.spec).toEqual(classifier.spec);
    expect(Buffer.from(files.baseModel).equals(Buffer.from(classifier.baseModel))).toBe(true);
  });

  it("refuses a missing or wrong base model and CSVs that do not fit, with codes", () => {
    const opts = { seed: 1, trainingPath: train, validationPath: hidden };
    expect(code(() => readTabularTaskFiles({ type: "classifier", ...opts }))).toBe("TASK_BASE_MODEL_MISSING");
    const garbage = file("garbage.bin", "not a model");
    expect(code(() => readTabularTaskFiles({ type: "classifier", baseModelPath: garbage, ...opts }))).toBe(
      "TASK_BASE_MODEL_INVALID",
    );
    const base = file("base2.safetensors", classifier.baseModel);
    expect(code(() => readTabularTaskFiles({ type: "regressor", baseModelPath: base, ...opts }))).toBe(
      "TASK_BASE_MODEL_INVALID",
    );
    const otherColumns = file("other.csv", "a,b,class\n1,2,0\n");
    expect(
      code(() =>
        readTabularTaskFiles({
          type: "classifier",
          baseModelPath: base,
          ...opts,
          validationPath: otherColumns,
        }),
      ),
    ).toBe("TASK_DATA_INVALID");
    // A hidden label beyond the given class count.
    expect(code(() => readTabularTaskFiles({ type: "classifier", hidden: [4], classes: 2, ...opts }))).toBe(
      "TASK_DATA_INVALID",
    );
    expect(
      code(() =>
        readTabularTaskFiles({
          type: "classifier",
          hidden: [4],
          ...opts,
          trainingPath: join(dir, "absent.csv"),
        }),
      ),
    ).toBe("TASK_INPUT_UNREADABLE");
  });

  it("reads --hidden widths", () => {
    expect(parseHiddenSizes("32")).toEqual([32]);
    expect(parseHiddenSizes("64, 32")).toEqual([64, 32]);
    for (const bad of ["", "0", "32,x", "1.5", "5000"]) {
      expect(code(() => parseHiddenSizes(bad))).toBe("TASK_HIDDEN_INVALID");
    }
  });
});
