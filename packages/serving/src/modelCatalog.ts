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
