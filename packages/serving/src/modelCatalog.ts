import type { BaseModel, Tokenizer } from "@flock/engine";

/** The weights a served model runs with, fetched when it is first asked for. */
export interface ModelWeights {
  /** The base decoder: decoded, or the bytes of a `flock-llama/1` file (engine's encodeBaseModel). */
  baseModel: BaseModel | Uint8Array;
  /** A LoRA adapter (`flock-lora-adapter/1` bytes) trained on the base, whose content id is `baseModelId`. */
  adapter?: { bytes: Uint8Array; baseModelId: string };
  /** The model's tokenizer; the byte tokenizer when absent. */
  tokenizer?: Tokenizer;
}

/**
 * A LoRA adapter served over a shared base: with continuous batching the engine keeps one copy of the base
 * per `baseModelId`, loads the adapter alone on its first request and evicts adapters least recently used.
 */
export interface CatalogAdapter {
  /** The base's content id: adapters naming the same id share one loaded base. */
  baseModelId: string;
  /** The base decoder (and tokenizer), fetched once per base. */
  base(): Promise<Omit<ModelWeights, "adapter">>;
  /** The adapter's `flock-lora-adapter/1` bytes, fetched on every (re)load. */
  bytes(): Promise<Uint8Array>;
}

/** One OpenAI-compatible server a model can be routed to. */
export interface UpstreamRoute {
  /** The API root, e.g. `http://10.0.0.5:8000/v1` (requests go to `${baseUrl}/chat/completions`). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer …` when set. */
  apiKey?: string;
  /** The model's name at that server. */
  model: string;
  /** Milliseconds to wait for the answer's headers before trying the next route (default 30 s). */
  timeoutMs?: number;
}

/** One model a coordinator serves, as `/v1/models` lists it. */
export interface CatalogModel {
  /** The id clients name in `model`. */
  id: string;
  /** Changes when the id names new weights (a new version): the engine then loads them afresh. */
  revision?: string;
  /** When it was published (unix seconds). */
  created: number;
  /** Who made it (an account address, or "flock"). */
  ownedBy: string;
  /** Fetch its weights (called once; the engine keeps the compiled model). */
  weights(): Promise<ModelWeights>;
  /** When set, a LoRA adapter hot-loaded over its shared base instead of `weights()` (batched engines). */
  adapter?: CatalogAdapter;
  /**
   * When set, requests are sent to these OpenAI-compatible servers instead of the engine, in order: a
   * connection error, a 5xx or a timeout moves on to the next; a 4xx is returned to the client as it is.
   */
  upstream?: readonly UpstreamRoute[];
}

/** Where the served models come from: the coordinator implements it over its model registry. */
export interface ModelCatalog {
  list(): Promise<CatalogModel[]>;
  get(id: string): Promise<CatalogModel | undefined>;
}

/** A catalog over a fixed list of models (tests, a coordinator given its models at start). */
export function staticModelCatalog(models: readonly CatalogModel[]): ModelCatalog {
  const byId = new Map(models.map((m) => [m.id, m]));
  return {
    list: async () => [...models],
    get: async (id) => byId.get(id),
  };
}
