import { isFlockError, NotFoundError, sha256Hex, type wire } from "@flock/core";
import {
  ADAPTER_ARTIFACT_FORMAT,
  type HfFolder,
  hfFolderFromArtifact,
  type OnnxExport,
  onnxFromArtifact,
  readSafetensors,
} from "@flock/engine";
import type { ModelRecord } from "@flock/store";
import type { FastifyInstance } from "fastify";
import type { AppContext } from "../deps.ts";
import { errorResponses } from "../http/schemas.ts";
import { wireRef } from "../http/wireSchemas.ts";
import { modelCard } from "../models/modelCard.ts";

/** `:id` is a model's numeric id, or its URL-encoded name (`flock%2Flm-lora-x`), optionally `@version`. */
const modelParams = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "string", minLength: 1, maxLength: 140 } },
} as const;

export function modelJson(model: ModelRecord): wire.Model {
  return {
    id: model.id,
    name: model.name,
    version: model.version,
    kind: model.kind,
    taskId: model.taskId,
    baseModel: model.baseModel,
    artifact: model.artifact as wire.Model["artifact"],
    license: model.license,
    metrics: model.metrics,
    lineage: model.lineage as wire.Model["lineage"],
    createdAt: model.createdAt.toISOString(),
  };
}

const CONTENT_TYPES: Record<string, string> = {
  json: "application/json; charset=utf-8",
  md: "text/markdown; charset=utf-8",
  safetensors: "application/octet-stream",
  bin: "application/octet-stream",
};

/**
 * Moonbase's registry (SPEC §2.4), public like the leaderboard: `GET /models` lists each model's latest version,
 * `GET /models/:id` one version with its lineage, `GET /models/:id/card` its Hugging Face model card (markdown),
 * `GET /models/:id/files` its Hugging Face folder and `GET /models/:id/files/:name` a file of it (the card is the
 * folder's README.md). `GET /models/:id/onnx` is the model as one self-contained ONNX file (a LoRA adapter merged into
 * its base) that onnxruntime-web runs in a browser.
 */
export function registerModelRoutes(app: FastifyInstance, ctx: AppContext): void {
  // A folder is derived from its content-addressed artifact: the last few are kept (a download asks for each file).
  const folders = new Map<string, HfFolder>();
  async function folderOf(model: ModelRecord): Promise<HfFolder> {
    const cached = folders.get(model.artifact);
    if (cached !== undefined) return cached;
    const bytes = await ctx.artifacts.read(model.artifact as `sha256:${string}`);
    const folder = hfFolderFromArtifact(bytes, { baseModelName: await baseNameOf(model) });
    folders.set(model.artifact, folder);
    while (folders.size > 4) folders.delete(folders.keys().next().value as string);
    return folder;
  }
  /** The registry name of the base model when it is a registered model itself (an FL fine-tune of a winner). */
  async function baseNameOf(model: ModelRecord): Promise<string> {
    if (!model.baseModel.startsWith("sha256:")) return model.baseModel;
    const base = await ctx.repos.models.byArtifact(model.baseModel);
    return base === undefined ? model.baseModel : `${base.name}@${base.version}`;
  }
  /** Exports are made on demand and the last two kept (a page loading a model asks once, a download once). */
  const exports = new Map<string, Promise<OnnxExport & { sha256: string }>>();
  async function exportOf(
    model: ModelRecord,
    seqLen: number | undefined,
  ): Promise<OnnxExport & { sha256: string }> {
    const key = `${model.artifact}|${seqLen ?? ""}`;
    let made = exports.get(key);
    if (made === undefined) {
      made = (async () => {
        const bytes = await ctx.artifacts.read(model.artifact as `sha256:${string}`);
        let format: string | undefined;
        try {
          format = readSafetensors(bytes).metadata.flock_format;
        } catch {
          format = undefined;
        }
        const adapter = format === ADAPTER_ARTIFACT_FORMAT;
        if (adapter && !model.baseModel.startsWith("sha256:")) {
          throw new NotFoundError(
            "MODEL_ONNX_UNAVAILABLE",
            `model ${model.name}@${model.version} is an adapter of ${model.baseModel}, which this coordinator does not hold`,
            {
              hint: `download the adapter with GET /models/${model.id}/files and merge it into its base yourself`,
            },
          );
        }
        const baseModel = adapter
          ? await ctx.artifacts.read(model.baseModel as `sha256:${string}`).catch((cause: unknown) => {
              throw isFlockError(cause) && cause.code === "ARTIFACT_NOT_FOUND"
                ? new NotFoundError(
                    "MODEL_ONNX_UNAVAILABLE",
                    `model ${model.name}@${model.version} is an adapter of ${model.baseModel}, which this coordinator does not hold`,
                    {
                      hint: `download the adapter with GET /models/${model.id}/files and merge it into its base yourself`,
                      cause,
                    },
                  )
                : cause;
            })
          : undefined;
        try {
          const made = onnxFromArtifact(bytes, {
            ...(baseModel === undefined ? {} : { baseModel }),
            ...(seqLen === undefined ? {} : { seqLen }),
            metadata: {
              name: `${model.name}@${model.version}`,
              artifact: model.artifact,
              base_model: model.baseModel,
              license: model.license,
            },
          });
          return { ...made, sha256: sha256Hex(made.bytes) };
        } catch (error) {
          if (isFlockError(error) && error.code === "ONNX_EXPORT_UNSUPPORTED") {
            throw new NotFoundError(
              "MODEL_ONNX_UNAVAILABLE",
              `model ${model.name}@${model.version} has no ONNX export: ${error.message}`,
              { hint: `download its files with GET /models/${model.id}/files`, cause: error },
            );
          }
          throw error;
        }
      })();
      exports.set(key, made);
      made.catch(() => exports.delete(key));
      while (exports.size > 2) exports.delete(exports.keys().next().value as string);
    }
    return made;
  }
  async function cardOf(model: ModelRecord, request: { protocol: string; host: string }): Promise<string> {
    const folder = await folderOf(model);
    const base = await baseNameOf(model);
    return modelCard(model, {
      coordinatorUrl: `${request.protocol}://${request.host}`,
      files: ["README.md", ...folder.files.keys()],
      ...(base === model.baseModel ? {} : { baseModelName: base }),
    });
  }

  app.get<{ Querystring: { versions?: "latest" | "all"; taskId?: number } }>(
    "/models",
    {
      schema: {
        summary:
          "Registered models (each name's latest version, newest first; every version with versions=all)",
        tags: ["models"],
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            versions: { type: "string", enum: ["latest", "all"] },
            taskId: { type: "integer", minimum: 1 },
          },
        },
        response: { 200: wireRef("Models"), ...errorResponses },
      },
    },
    async (request) => {
      const models = await ctx.repos.models.list({
        allVersions: request.query.versions === "all",
        ...(request.query.taskId === undefined ? {} : { taskId: request.query.taskId }),
      });
      const body: wire.Models = { items: models.map(modelJson) };
      return body;
    },
  );

  app.get<{ Params: { id: string } }>(
    "/models/:id",
    {
      schema: {
        summary: "A registered model version with its lineage (by id, name or name@version)",
        tags: ["models"],
        params: modelParams,
        response: { 200: wireRef("Model"), ...errorResponses },
      },
    },
    async (request) => modelJson(await ctx.repos.models.get(request.params.id)),
  );

  app.get<{ Params: { id: string } }>(
    "/models/:id/card",
    {
      schema: {
        summary: "A model's card in Hugging Face's format (YAML front matter, then markdown)",
        tags: ["models"],
        params: modelParams,
        response: {
          200: {
            description: "The card: YAML front matter, then markdown",
            content: { "text/markdown": { schema: { type: "string" } } },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const model = await ctx.repos.models.get(request.params.id);
      return reply.header("content-type", CONTENT_TYPES.md).send(await cardOf(model, request));
    },
  );

  app.get<{ Params: { id: string } }>(
    "/models/:id/files",
    {
      schema: {
        summary: "A model's Hugging Face folder: README.md (its card) and its config and weights files",
        tags: ["models"],
        params: modelParams,
        response: { 200: wireRef("ModelFiles"), ...errorResponses },
      },
    },
    async (request) => {
      const model = await ctx.repos.models.get(request.params.id);
      const folder = await folderOf(model);
      const card = new TextEncoder().encode(await cardOf(model, request));
      const files: wire.ModelFiles = {
        modelId: model.id,
        layout: folder.kind,
        files: [["README.md", card] as const, ...folder.files].map(([name, bytes]) => ({
          name,
          size: bytes.byteLength,
          sha256: sha256Hex(bytes),
        })),
      };
      return files;
    },
  );

  app.get<{ Params: { id: string; name: string } }>(
    "/models/:id/files/:name",
    {
      schema: {
        summary: "One file of a model's Hugging Face folder",
        tags: ["models"],
        params: {
          type: "object",
          required: ["id", "name"],
          properties: {
            id: modelParams.properties.id,
            name: { type: "string", minLength: 1, maxLength: 100 },
          },
        },
        response: {
          200: {
            description:
              "The file's bytes (JSON for the configs, markdown for README.md, safetensors for weights)",
            content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const model = await ctx.repos.models.get(request.params.id);
      const { name } = request.params;
      const folder = await folderOf(model);
      const bytes =
        name === "README.md"
          ? new TextEncoder().encode(await cardOf(model, request))
          : folder.files.get(name);
      if (bytes === undefined) {
        throw new NotFoundError(
          "MODEL_FILE_NOT_FOUND",
          `model ${model.name}@${model.version} has no file ${name}`,
          {
            hint: `list its files with GET /models/${model.id}/files`,
            details: { files: ["README.md", ...folder.files.keys()] },
          },
        );
      }
      const type = CONTENT_TYPES[name.slice(name.lastIndexOf(".") + 1)] ?? "application/octet-stream";
      return reply
        .header("content-type", type)
        .header("content-disposition", `attachment; filename="${name}"`)
        .header("x-content-type-options", "nosniff")
        .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    },
  );

  app.get<{ Params: { id: string }; Querystring: { seqLen?: number } }>(
    "/models/:id/onnx",
    {
      schema: {
        summary:
          "A model as one self-contained ONNX file (opset 17, weights inside; a LoRA adapter merged into its base) for onnxruntime-web or any ONNX runtime",
        description:
          "A decoder takes input_ids and attention_mask (int64 [batch, seqLen], right padding with mask 0) and gives logits (float32 [batch, seqLen, vocab]); seqLen defaults to the model's context length. A tabular model takes features (float32 [batch, features]) and gives logits (classifier) or prediction (regressor).",
        tags: ["models"],
        params: modelParams,
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { seqLen: { type: "integer", minimum: 1, maximum: 1_000_000 } },
        },
        response: {
          200: {
            description: "The .onnx file",
            content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const model = await ctx.repos.models.get(request.params.id);
      const made = await exportOf(model, request.query.seqLen);
      const file = `${model.name.replace("/", "--")}-v${model.version}.onnx`;
      return reply
        .header("content-type", "application/octet-stream")
        .header("content-disposition", `attachment; filename="${file}"`)
        .header("x-content-type-options", "nosniff")
        .header("etag", `"${made.sha256}"`)
        .header("x-flock-onnx-kind", made.kind)
        .send(Buffer.from(made.bytes.buffer, made.bytes.byteOffset, made.bytes.byteLength));
    },
  );
}
