import { FlockError, isFlockError } from "@flock/core";
import { ADAPTER_ARTIFACT_FORMAT, BASE_MODEL_FORMAT, readSafetensors } from "@flock/engine";
import type { CatalogModel, ModelCatalog } from "@flock/serving";
import type { ModelRecord } from "@flock/store";
import type { AppContext } from "../deps.ts";

/** Task types whose models are language models the engine can answer with. */
const LANGUAGE_TASKS = new Set(["lm-lora", "lm-full"]);

function catalogEntry(ctx: Pick<AppContext, "artifacts">, model: ModelRecord): CatalogModel {
  return {
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
  };
}

/**
 * The models the OpenAI-compatible API serves: the registry's language models (Arena winners and federated
 * global models of language tasks), each by its name at its latest version.
 */
export function registryModelCatalog(ctx: Pick<AppContext, "repos" | "artifacts">): ModelCatalog {
  const served = (model: ModelRecord) => LANGUAGE_TASKS.has(model.lineage.task.type);
  return {
    list: async () => (await ctx.repos.models.list()).filter(served).map((m) => catalogEntry(ctx, m)),
    get: async (id) => {
      // Only registry names (`owner/slug`): a name with a version or a numeric id is not a served model id.
      if (/@|^[0-9]+$/.test(id)) return undefined;
      try {
        const model = await ctx.repos.models.get(id);
        return served(model) ? catalogEntry(ctx, model) : undefined;
      } catch (error) {
        if (
          isFlockError(error) &&
          (error.code === "MODEL_NOT_FOUND" || error.code === "MODEL_NAME_MALFORMED")
        )
          return undefined;
        throw error;
      }
    },
  };
}
