import { createRng, encodeBaseModel, initLlamaParameters, llamaConfig } from "@flock/engine";
import type { CatalogModel } from "../modelCatalog.ts";

/**
 * A tiny random byte-level decoder as a catalog entry (its weights as a `flock-llama/1` file, as a registry
 * stores them): fast to compile and decode, with a context long enough for a short chat. Its text is noise,
 * but the same seed gives the same noise.
 */
export function tinyChatModel(id = "flock/tiny-chat", seed = 4, maxPositions = 192): CatalogModel {
  const config = llamaConfig({
    hiddenSize: 32,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    vocabSize: 261,
    maxPositions,
  });
  // A wide initialization spreads the logits, so sampling gives varied text.
  const params = initLlamaParameters({ ...config, initializer_range: 0.3 }, createRng(seed));
  const bytes = encodeBaseModel({ config, params });
  return { id, created: 1_767_225_600, ownedBy: "flock", weights: async () => ({ baseModel: bytes }) };
}
