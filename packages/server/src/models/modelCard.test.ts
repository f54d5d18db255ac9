import type { ModelRecord } from "@flock/store";
import { describe, expect, it } from "vitest";
import { parseFrontMatter } from "./frontMatter.testing.ts";
import { baseModelRelationOf, fixedPointText, modelCard } from "./modelCard.ts";
import { modelNameOf } from "./registerModel.ts";

const account = (n: number) => `0x${n.toString(16).padStart(40, "0")}`;
const base = `sha256:${"ab".repeat(32)}`;

function flModel(overrides: Partial<ModelRecord> = {}): ModelRecord {
  return {
    id: 7,
    name: "flock/fl-classifier-digits",
    version: 2,
    kind: "fl-global",
    taskId: 3,
    baseModel: base,
    artifact: `sha256:${"cd".repeat(32)}`,
    license: "apache-2.0",
    metrics: {},
    lineage: {
      task: { id: 3, title: 'digits: "hospitals"', type: "classifier", kind: "federated" },
      baseModel: base,
      trainers: [account(1), account(2)],
      validators: [],
      rounds: [
        {
          round: 1,
          status: "accepted",
          proposers: [account(1), account(2)],
          contributors: [account(1), account(2)],
          voters: [account(3)],
          contributions: [
            { account: account(1), valueWad: "250000000000000000" },
            { account: account(2), valueWad: "-50000000000000000" },
          ],
          model: `sha256:${"ef".repeat(32)}`,
        },
      ],
      payRule: "contribution",
      datasets: [],
    },
    createdAt: new Date("2026-12-01T00:00:00.000Z"),
    ...overrides,
  };
}

describe("modelCard (pure)", () => {
  it("a federated tabular model: finetune of its base, no datasets, rounds with signed contribution values", async () => {
    const card = modelCard(flModel(), { files: ["README.md", "config.json", "model.safetensors"] });
    const meta = await parseFrontMatter(card);
    expect(meta).toEqual({
      license: "apache-2.0",
      base_model: [base],
      base_model_relation: "finetune",
      tags: ["flock", "federated-learning", "classifier"],
    });
    expect(card).toContain("No metric was recorded for this model.");
    expect(card).toContain(`\`${account(2)}\` -0.050000`);
    expect(card).toContain("the participants' own, which never left them");
    expect(card).toContain("## How to use it");
    expect(card).not.toContain("## How to call it");
  });

  it("names a registered base model by its registry name and quotes every string so titles cannot break the YAML", async () => {
    const card = modelCard(flModel({ metrics: { accuracy: 0.93, "log_loss: x": 0.2 } }), {
      files: [],
      baseModelName: "flock/lm-lora-instructions@1",
      coordinatorUrl: "http://example.org:8780",
    });
    const meta = await parseFrontMatter(card);
    expect(meta.base_model).toEqual(["flock/lm-lora-instructions@1"]);
    expect(meta["model-index"][0].results[0].metrics).toEqual([
      { type: "accuracy", value: 0.93 },
      { type: "log_loss: x", value: 0.2 },
    ]);
  });

  it("relations, fixed-point text and names", () => {
    expect(baseModelRelationOf({ kind: "arena-lora", lineage: flModel().lineage })).toBe("adapter");
    expect(baseModelRelationOf({ kind: "arena-full", lineage: flModel().lineage })).toBe("finetune");
    const lm = flModel().lineage;
    expect(
      baseModelRelationOf({ kind: "fl-global", lineage: { ...lm, task: { ...lm.task, type: "lm-lora" } } }),
    ).toBe("adapter");
    expect(fixedPointText("1250000000000000000")).toBe("1.250000");
    expect(fixedPointText("-1")).toBe("-0.000000");
    expect(
      modelNameOf({ type: "lm-lora", title: "  Instruction following, small Llama!! ", kind: "arena" }),
    ).toBe("flock/lm-lora-instruction-following-small-llama");
    expect(modelNameOf({ type: "regressor", title: "???", kind: "federated" })).toBe(
      "flock/fl-regressor-model",
    );
  });
});
