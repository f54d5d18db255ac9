import { FlockError, isFlockError } from "@flock/core";
import { ADAPTER_ARTIFACT_FORMAT, BASE_MODEL_FORMAT, readSafetensors } from "@flock/engine";
import type { CatalogModel, ModelCatalog, UpstreamRoute } from "@flock/serving";
import type { ModelRecord } from "@flock/store";
import type { AppContext } from "../deps.ts";

/** Task types whose models are language models the engine can answer with. */
const LANGUAGE_TASKS = new Set(["lm-lora", "lm-full"]);

type Routes = Readonly<Record<string, readonly UpstreamRoute[]>>;

function catalogEntry(ctx: Pick<AppContext, "artifacts">, model: ModelRecord, routes: Routes): CatalogModel {
  const upstream = routes[model.name];
  const entry: CatalogModel = {
    id: model.name,
    revision: model.artifact,
    created: Math.floor(model.createdAt.getTime() / 1000),
    ownedBy: model.lineage.trainers[0] ?? "flock",
    weights: async () => {
      const bytes = await ctx.artifacts.read(model.artifact);
      const format = readSafetensors(bytes).metadata.flock_format;
      if (format === BASE_MODEL_FORMAT) return { baseModel: bytes };
      if (format === ADAPTER_ARTIFACT_FORMAT)
        return {
          baseModel: await ctx.artifacts.read(model.baseModel),
          adapter: { bytes, baseModelId: model.baseModel },
        };
      throw new FlockError(
        "SERVING_FAILED",
        `model ${model.name} is stored as ${format ?? "no known format"}`,
        {
          hint: `served models are ${BASE_MODEL_FORMAT} or ${ADAPTER_ARTIFACT_FORMAT} files`,
        },
      );
    },
    ...(upstream === undefined || upstream.length === 0 ? {} : { upstream }),
  };
  // A LoRA task's model is an adapter of the task's base: hot-loaded over the one shared base.
  if (model.lineage.task.type === "lm-lora")
    entry.adapter = {
      baseModelId: model.baseModel,
      base: async () => ({ baseModel: await ctx.artifacts.read(model.baseModel) }),
      bytes: () => ctx.artifacts.read(model.artifact),
    };
  return entry;
}

/** A model served only through its upstream routes (not in the registry). */
function routedEntry(id: string, upstream: readonly UpstreamRoute[]): CatalogModel {
  return {
    id,
    created: 0,
    ownedBy: "upstream",
    weights: async () => {
      throw new FlockError("SERVING_FAILED", `model ${id} is served by its upstreams only`, {
        hint: "check serving.upstreams in the coordinator's config",
      });
    },
    upstream,
  };
}

/**
 * The models the OpenAI-compatible API serves: the registry's language models (Arena winners and federated
 * global models of language tasks), each by its name at its latest version — a LoRA task's model as an adapter
 * over its shared base — and the models `upstreams` routes to OpenAI-compatible servers (a registry model
 * named there is routed instead of run here).
 */
export function registryModelCatalog(
  ctx: Pick<AppContext, "repos" | "artifacts">,
  options: { upstreams?: Routes } = {},
): ModelCatalog {
  const routes = options.upstreams ?? {};
  const served = (model: ModelRecord) => LANGUAGE_TASKS.has(model.lineage.task.type);
  const routedOnly = async (known: ReadonlySet<string>) =>
    Object.entries(routes)
      .filter(([id, r]) => !known.has(id) && r.length > 0)
      .map(([id, r]) => routedEntry(id, r));
  return {
    list: async () => {
      const models = (await ctx.repos.models.list()).filter(served).map((m) => catalogEntry(ctx, m, routes));
      return [...models, ...(await routedOnly(new Set(models.map((m) => m.id))))];
    },
    get: async (id) => {
      // Only registry names (`owner/slug`): a name with a version or a numeric id is not a served model id.
      if (/@|^[0-9]+$/.test(id)) return undefined;
      try {
        const model = await ctx.repos.models.get(id);
        return served(model) ? catalogEntry(ctx, model, routes) : undefined;
      } catch (error) {
        if (
          isFlockError(error) &&
          (error.code === "MODEL_NOT_FOUND" || error.code === "MODEL_NAME_MALFORMED")
        ) {
          const upstream = routes[id];
          return upstream !== undefined && upstream.length > 0 ? routedEntry(id, upstream) : undefined;
        }
        throw error;
      }
    },
  };
}
