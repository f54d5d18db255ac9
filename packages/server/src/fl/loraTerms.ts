import { ValidationError, type wire } from "@flock/core";
import {
  type BaseModel,
  ByteTokenizer,
  createRng,
  decodeBaseModel,
  encodeAdapterArtifact,
  initLoraParameters,
  loraParameterShapes,
  type ParameterSet,
} from "@flock/engine";
import { flLoraRecipeOf, layoutOf, unknownFlLoraKeys } from "@flock/fl";
import type { AppContext } from "../deps.ts";
import { readArrays, storeArrays, storeModelFile } from "./flArrays.ts";

/** What a federated LoRA task starts from: its first global model (the adapter) and its size. */
export interface LoraTaskStart {
  /** Content id of the initial adapter's arrays (the task's first global model). */
  globalModel: string;
  /** Floats in the adapter: what each update carries. */
  size: number;
  /** Tokens per training row (the recipe's seqLen). */
  seqLen: number;
}

function baseModelInvalid(
  id: string,
  message: string,
  details: Record<string, unknown>,
  cause?: unknown,
): never {
  throw new ValidationError("TASK_BASE_MODEL_INVALID", message, {
    hint: "an lm-lora task's base model is a published flock-llama/1 language model (e.g. an Arena task's base model or winner; flock demo keeps one in <home>/models)",
    details: { baseModel: id, type: "lm-lora", ...details },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The base model of an lm-lora task: a byte-level `flock-llama/1` decoder, or TASK_BASE_MODEL_INVALID. */
async function readLanguageModel(ctx: AppContext, id: string): Promise<BaseModel> {
  let model: BaseModel;
  try {
    model = decodeBaseModel(await ctx.artifacts.read(id));
  } catch (cause) {
    baseModelInvalid(
      id,
      `the base model ${id} of an lm-lora task is not a language model (flock-llama/1)`,
      {},
      cause,
    );
  }
  const vocab = new ByteTokenizer().vocabSize;
  if (model.config.vocab_size < vocab) {
    baseModelInvalid(
      id,
      `the base model ${id} has ${model.config.vocab_size} tokens, fewer than the byte tokenizer's ${vocab}`,
      { vocabSize: model.config.vocab_size },
    );
  }
  return model;
}

/** A given starting adapter: published, and exactly the recipe's arrays. */
async function readStartingAdapter(
  ctx: AppContext,
  id: unknown,
  shapes: Map<string, number[]>,
): Promise<ParameterSet> {
  const refuse = (why: string): never => {
    throw new ValidationError("FL_TRAIN_CONFIG_INVALID", `trainConfig.adapter ${JSON.stringify(id)} ${why}`, {
      hint: "give the content id of a published safetensors adapter with the recipe's LoRA arrays, or leave adapter out for a fresh one",
      details: { key: "adapter", value: id },
    });
  };
  if (typeof id !== "string" || !/^sha256:[0-9a-f]{64}$/.test(id)) return refuse("is not a content id");
  const record = await ctx.repos.artifacts.find(id);
  if (record?.public !== true) return refuse("is not a published artifact");
  const arrays = await readArrays(ctx, id);
  for (const [name, shape] of shapes) {
    const p = arrays.get(name);
    if (p === undefined || p.shape.join(",") !== shape.join(",")) {
      return refuse(`lacks ${name} of shape [${shape.join(", ")}]`);
    }
  }
  if (arrays.size !== shapes.size) return refuse(`has ${arrays.size} arrays, the recipe ${shapes.size}`);
  // The recipe's order (what every participant's update keeps).
  return new Map([...shapes.keys()].map((name) => [name, arrays.get(name)!]));
}

/**
 * Check an lm-lora task's terms and make its first global model: the base model is a language model, the
 * trainConfig a LoRA recipe it can run (no unknown key), and the adapter is the one given
 * (`trainConfig.adapter`) or a fresh one (PEFT's init: A Kaiming-uniform from `trainConfig.seed`, B = 0 — so
 * the first global model is exactly the base model). The adapter's arrays are stored as the task's model.
 */
export async function startLoraTask(ctx: AppContext, body: wire.CreateFlTaskRequest): Promise<LoraTaskStart> {
  const trainConfig = body.trainConfig ?? {};
  const unknown = unknownFlLoraKeys(trainConfig);
  if (unknown.length > 0) {
    throw new ValidationError(
      "FL_TRAIN_CONFIG_INVALID",
      `trainConfig has ${unknown.map((k) => JSON.stringify(k)).join(", ")}, which an lm-lora task does not use`,
      {
        hint: "an lm-lora recipe takes loraRank, loraAlpha, loraDropout, targetModules (comma-separated), learningRate, localSteps, localEpochs, batchSize, seqLen, seed, proximalMu and adapter",
        details: { keys: unknown },
      },
    );
  }
  const model = await readLanguageModel(ctx, body.baseModel);
  const recipe = flLoraRecipeOf(trainConfig, model.config);
  const shapes = loraParameterShapes(model.config, recipe.lora);
  const adapter: ParameterSet =
    trainConfig.adapter === undefined
      ? initLoraParameters(model.config, recipe.lora, createRng(recipe.seed))
      : await readStartingAdapter(ctx, trainConfig.adapter, shapes);
  return {
    globalModel: await storeArrays(ctx, adapter),
    size: layoutOf(adapter).size,
    seqLen: recipe.seqLen,
  };
}

/**
 * A federated LoRA task's global model as a `flock-lora-adapter/1` file (the Arena's adapter format, which the
 * registry serves, converts to PEFT and exports to ONNX): its arrays with the recipe's LoRA shape, on the task's
 * base model. Stored (content-addressed, so the same adapter is one file); returns its content id.
 */
export async function storeLoraAdapterArtifact(
  ctx: AppContext,
  task: { baseModel: string; trainConfig: wire.CreateFlTaskRequest["trainConfig"] },
  globalModel: string,
): Promise<string> {
  const base = decodeBaseModel(await ctx.artifacts.read(task.baseModel));
  const { lora } = flLoraRecipeOf(task.trainConfig ?? {}, base.config);
  const bytes = encodeAdapterArtifact({
    lora,
    adapter: (await readArrays(ctx, globalModel)) as ParameterSet,
    baseModel: task.baseModel,
  });
  return storeModelFile(ctx, bytes);
}
