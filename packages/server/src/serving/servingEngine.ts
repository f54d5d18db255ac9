import { CompletionEngine } from "@flock/serving";
import type { AppContext } from "../deps.ts";
import { registryModelCatalog } from "./registryModelCatalog.ts";
import { defaultServingConfig, type ServingConfig } from "./servingConfig.ts";

/** The completion engine a coordinator serves `/v1` with when none is given: its registry, as configured. */
export function servingEngine(
  ctx: Pick<AppContext, "repos" | "artifacts">,
  config: Partial<ServingConfig> = {},
): CompletionEngine {
  const c = { ...defaultServingConfig, ...config };
  return new CompletionEngine(registryModelCatalog(ctx, { upstreams: c.upstreams }), {
    batchRows: c.batchRows,
    maxAdapters: c.maxAdapters,
    maxAdapterRank: c.maxAdapterRank,
    ...(c.maxAdapterBytes === undefined ? {} : { maxAdapterBytes: c.maxAdapterBytes }),
  });
}
