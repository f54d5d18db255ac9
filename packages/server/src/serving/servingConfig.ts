import type { UpstreamRoute } from "@flock/serving";

/** How the coordinator serves `/v1` (its `serving` config). */
export interface ServingConfig {
  /** Sequences of one base decoded together in one batched step (continuous batching). */
  batchRows: number;
  /** LoRA adapters kept loaded over their shared bases; the least recently used are evicted beyond. */
  maxAdapters: number;
  /** Bytes of adapter weights kept loaded at most (unset: no byte limit). */
  maxAdapterBytes?: number;
  /** The largest adapter rank served from the decoder's per-row slots; a larger adapter is merged. */
  maxAdapterRank: number;
  /**
   * Models routed to OpenAI-compatible servers (vLLM, llama.cpp's server, another Flock) instead of the engine:
   * model id → routes in fallback order. A registry model named here is routed; other ids are served too.
   */
  upstreams: Readonly<Record<string, readonly UpstreamRoute[]>>;
}

export const defaultServingConfig: ServingConfig = {
  batchRows: 4,
  maxAdapters: 8,
  maxAdapterRank: 16,
  upstreams: {},
};
