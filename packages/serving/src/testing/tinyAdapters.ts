import { contentId } from "@flock/core";
import {
  createRng,
  encodeAdapterArtifact,
  encodeBaseModel,
  initLlamaParameters,
  initLoraParameters,
  llamaConfig,
  loraConfig,
} from "@flock/engine";
import type { CatalogModel } from "../modelCatalog.ts";

/**
 * A tiny random byte-level base (as `tinyChatModel`) and `count` LoRA adapters of it as catalog entries
 * (`flock-lora-adapter/1` files, random A and B so each changes the text): ids `${prefix}-0`, `${prefix}-1`, …
 * The adapters name the base by its content id (`baseModelId`, as an artifact store files it). Each entry has
 * `adapter` (hot-loaded over the shared base) and `weights()` (the base and the adapter, merged
 * on load), so one catalog serves both ways.
 */
export function tinyAdapterModels(
  count: number,
  options: {
    prefix?: string;
    rank?: number;
    hiddenSize?: number;
    numLayers?: number;
    maxPositions?: number;
  } = {},
): {
  base: CatalogModel;
  adapters: CatalogModel[];
  baseBytes: Uint8Array;
  baseModelId: string;
  adapterBytes: Uint8Array[];
} {
  const config = llamaConfig({
    hiddenSize: options.hiddenSize ?? 32,
    numLayers: options.numLayers ?? 2,
    numHeads: 4,
    numKvHeads: 2,
    vocabSize: 261,
    maxPositions: options.maxPositions ?? 192,
  });
  const params = initLlamaParameters({ ...config, initializer_range: 0.3 }, createRng(4));
  const baseBytes = encodeBaseModel({ config, params });
  const baseModelId = contentId(baseBytes);
  const lora = loraConfig({
    r: options.rank ?? 4,
    targetModules: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
  });
  const prefix = options.prefix ?? "flock/tiny-lora";
  const base: CatalogModel = {
    id: "flock/tiny-base",
    created: 1_767_225_600,
    ownedBy: "flock",
    weights: async () => ({ baseModel: baseBytes }),
  };
  const adapterBytes: Uint8Array[] = [];
  const adapters = Array.from({ length: count }, (_, i): CatalogModel => {
    const adapter = initLoraParameters(config, lora, createRng(100 + i));
    const rng = createRng(200 + i);
    for (const [name, p] of adapter)
      if (name.includes("lora_B"))
        for (let j = 0; j < p.data.length; j++) p.data[j] = (rng.next() - 0.5) * 0.8;
    const bytes = encodeAdapterArtifact({ lora, adapter, baseModel: baseModelId });
    adapterBytes.push(bytes);
    return {
      id: `${prefix}-${i}`,
      created: 1_767_225_600,
      ownedBy: "flock",
      weights: async () => ({ baseModel: baseBytes, adapter: { bytes, baseModelId } }),
      adapter: { baseModelId, base: async () => ({ baseModel: baseBytes }), bytes: async () => bytes },
    };
  });
  return { base, adapters, baseBytes, baseModelId, adapterBytes };
}
