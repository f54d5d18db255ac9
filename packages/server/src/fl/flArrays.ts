import { ValidationError } from "@flock/core";
import { type Arrays, decodeArrays, encodeArrays } from "@flock/fl";
import type { AppContext } from "../deps.ts";

/** Arrays into the artifact store as safetensors; returns their content id (the same arrays, the same id). */
export function storeArrays(ctx: AppContext, arrays: Arrays): Promise<string> {
  return storeModelFile(ctx, encodeArrays(arrays));
}

/** A model file the coordinator made into the artifact store and its records; returns its content id. */
export async function storeModelFile(ctx: AppContext, bytes: Uint8Array): Promise<string> {
  const stored = await ctx.artifacts.put(bytes, { maxBytes: bytes.byteLength });
  await ctx.repos.artifacts.record({
    id: stored.id,
    size: stored.size,
    mediaType: "application/octet-stream",
  });
  return stored.id;
}

/** A model's arrays by content id (a base model, a global model, a candidate). */
export async function readArrays(ctx: AppContext, id: string): Promise<Arrays> {
  const bytes = await ctx.artifacts.read(id);
  try {
    return decodeArrays(bytes).arrays;
  } catch (cause) {
    throw new ValidationError("FL_MODEL_UNREADABLE", `artifact ${id} is not a safetensors model`, {
      hint: "a federated task's base model is a safetensors file of float32 arrays (e.g. a tabular model file)",
      details: { id },
      cause,
    });
  }
}
