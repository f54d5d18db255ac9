import { contentId } from "@flock/core";
import { createRng, initLoraParameters, loraConfig, writeSafetensors } from "@flock/engine";
import { describe, expect, it } from "vitest";
import { instructionJsonl, tinyBaseModel } from "../testing/tinyNetwork.ts";
import { decodeAdapterArtifact, encodeAdapterArtifact } from "./adapterArtifact.ts";
import { ArtifactRejectedError } from "./artifactRejection.ts";
import { decodeBaseModel } from "./baseModelArtifact.ts";

const base = tinyBaseModel();
const baseModel = contentId(base);
const { config } = decodeBaseModel(base);
const lora = loraConfig({ r: 4, alpha: 8 });
const limits = { baseModel, maxTrainableParams: 100_000 };

function adapter() {
  return initLoraParameters(config, lora, createRng(1));
}

function rejection(bytes: Uint8Array, overrides: Partial<typeof limits> = {}): string {
  try {
    decodeAdapterArtifact(bytes, config, { ...limits, ...overrides });
  } catch (error) {
    expect(error).toBeInstanceOf(ArtifactRejectedError);
    return (error as ArtifactRejectedError).code;
  }
  throw new Error("the artifact was accepted");
}

describe("submission artifacts", () => {
  it("round-trip: an encoded adapter decodes to the same tensors and config", () => {
    const params = adapter();
    const decoded = decodeAdapterArtifact(
      encodeAdapterArtifact({ lora, adapter: params, baseModel }),
      config,
      limits,
    );
    expect(decoded.lora).toEqual(lora);
    for (const [name, p] of params) expect(decoded.adapter.get(name)!.data).toEqual(p.data);
  });

  it("refuses bytes that are not safetensors, JSONL instead of weights, and the wrong format tag", () => {
    expect(rejection(new Uint8Array([1, 2, 3]))).toBe("ARTIFACT_MALFORMED");
    expect(rejection(new TextEncoder().encode(instructionJsonl(1, 2)))).toBe("ARTIFACT_MALFORMED");
    const untagged = writeSafetensors({}, { format: "pt" });
    expect(rejection(untagged)).toBe("ARTIFACT_MALFORMED");
  });

  it("refuses an adapter for another base model or with tensors that do not fit the base", () => {
    expect(
      rejection(encodeAdapterArtifact({ lora, adapter: adapter(), baseModel: contentId("other") })),
    ).toBe("ARTIFACT_WRONG_BASE");
    const params = adapter();
    const [first] = params.keys();
    params.set(first!, { shape: [3, 3], data: new Float32Array(9) });
    expect(rejection(encodeAdapterArtifact({ lora, adapter: params, baseModel }))).toBe("ARTIFACT_MALFORMED");
  });

  it("refuses more trainable parameters than the task allows, and NaN weights", () => {
    const bytes = encodeAdapterArtifact({ lora, adapter: adapter(), baseModel });
    expect(rejection(bytes, { maxTrainableParams: 10 })).toBe("ARTIFACT_TOO_MANY_PARAMS");
    const params = adapter();
    params.values().next().value!.data[0] = Number.NaN;
    expect(rejection(encodeAdapterArtifact({ lora, adapter: params, baseModel }))).toBe(
      "ARTIFACT_NOT_FINITE",
    );
  });
});
