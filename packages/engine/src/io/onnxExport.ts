import { contentId, ValidationError } from "@flock/core";
import onnxProto from "onnx-proto";
import { Graph } from "../graph/graph.ts";
import { ADAPTER_ARTIFACT_FORMAT, decodeAdapterArtifact } from "../lora/adapterFile.ts";
import { mergeLora } from "../lora/loraAdapter.ts";
import { BASE_MODEL_FORMAT, decodeBaseModel } from "../nn/baseModelFile.ts";
import { bindParameterInputs, llamaForward } from "../nn/llama.ts";
import type { LlamaConfig } from "../nn/llamaConfig.ts";
import type { ParameterSet } from "../nn/parameters.ts";
import { tabularMlpForward } from "../nn/tabularMlp.ts";
import { exportOnnx, OPSET } from "../onnx/exportOnnx.ts";
import { readSafetensors } from "./safetensors.ts";
import { readTabularModel, TABULAR_MODEL_KEY, type TabularModelSpec } from "./tabularModelFile.ts";

/**
 * Self-contained ONNX files of Flock models, for any ONNX runtime (onnxruntime-web in a browser,
 * onnxruntime-node, Python's onnxruntime): the weights are initializers inside the file, so one file is the
 * whole model. Opset 17, IR version 8, float32 weights.
 *
 * - A decoder (`flock-llama/1`, or a LoRA adapter merged into its base): inputs `input_ids` int64
 *   [batch, seq] and `attention_mask` int64 [batch, seq] (1 = real token, 0 = padding); output `logits`
 *   float32 [batch, seq, vocab], the next-token logits at every position. `seq` is fixed when the file is
 *   made (default: the model's context length); a shorter prompt is padded on the right with mask 0 — the
 *   attention is causal, so the logits of the real positions do not depend on the padding.
 * - A tabular MLP (`flock-tabular-mlp/1`): input `features` float32 [batch, features] in the spec's column
 *   order; output `logits` float32 [batch, classes] (classifier) or `prediction` float32 [batch, 1]
 *   (regressor).
 *
 * The model's metadata (`metadata_props`) says what it is: `flock.format` (`flock-onnx/1`), `flock.kind`,
 * `flock.config` (the config as JSON), and for decoders `flock.seq_len`.
 */
export const ONNX_EXPORT_FORMAT = "flock-onnx/1";
export const ONNX_EXPORT_OPSET = OPSET;

/** Weights above this do not fit one protobuf message (ONNX's 2 GiB limit, less room for the graph). */
const MAX_ONNX_WEIGHT_BYTES = 2 ** 31 - 64 * 2 ** 20;

export type OnnxExportKind = "causal-lm" | "classifier" | "regressor";

export interface OnnxExport {
  kind: OnnxExportKind;
  /** The `.onnx` file. */
  bytes: Uint8Array;
  inputs: { name: string; dtype: string; shape: (number | string)[] }[];
  outputs: { name: string; dtype: string; shape: (number | string)[] }[];
  /** The `metadata_props` written into the file. */
  metadata: Record<string, string>;
}

/** Extra metadata to write into the file (e.g. the registry name and the source artifact's content id). */
export interface OnnxExportOptions {
  metadata?: Record<string, string>;
}

/**
 * Turn the graph inputs named in `weights` into initializers holding their float32 values, and write the
 * metadata: the graph is lowered once by `exportOnnx` (the same lowering the engine runs), then its weight
 * inputs become part of the file.
 */
function embedWeights(
  graph: Graph,
  weights: ParameterSet,
  kind: OnnxExportKind,
  metadata: Record<string, string>,
  doc: string,
): OnnxExport {
  let weightBytes = 0;
  for (const p of weights.values()) weightBytes += p.data.byteLength;
  if (weightBytes > MAX_ONNX_WEIGHT_BYTES) {
    throw unsupported(
      `its ${weightBytes} bytes of weights do not fit one ONNX protobuf file (2 GiB at most)`,
      undefined,
      "download the Hugging Face folder instead",
    );
  }
  const lowered = exportOnnx(graph);
  const proto = onnxProto.onnx.ModelProto.decode(lowered.bytes);
  const g = proto.graph!;
  const inputs = g.input ?? [];
  const used = new Set(inputs.map((i) => i.name ?? ""));
  g.input = inputs.filter((i) => !weights.has(i.name ?? ""));
  const initializers = g.initializer ?? [];
  g.initializer = initializers;
  for (const [name, p] of weights) {
    if (!used.has(name)) continue;
    initializers.push(
      onnxProto.onnx.TensorProto.create({
        name,
        dims: p.shape,
        dataType: onnxProto.onnx.TensorProto.DataType.FLOAT,
        rawData: new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength),
      }),
    );
  }
  const all = { format: ONNX_EXPORT_FORMAT, kind, ...metadata };
  proto.metadataProps = Object.entries(all).map(([key, value]) =>
    onnxProto.onnx.StringStringEntryProto.create({
      key: key.startsWith("flock.") ? key : `flock.${key}`,
      value,
    }),
  );
  proto.docString = doc;
  const bytes = onnxProto.onnx.ModelProto.encode(proto).finish();
  return {
    kind,
    bytes,
    inputs: lowered.inputs.filter((i) => !weights.has(i.name)).map((i) => ({ ...i, shape: [...i.shape] })),
    outputs: lowered.outputs.map((o) => ({ ...o, shape: [...o.shape] })),
    metadata: Object.fromEntries(proto.metadataProps.map((e) => [e.key!, e.value!])),
  };
}

/**
 * A decoder as one `.onnx` file: `input_ids`, `attention_mask` (int64 [batch, seqLen]) → `logits` float32
 * [batch, seqLen, vocab]. `seqLen` defaults to the model's context length (`max_position_embeddings`).
 */
export function exportCausalLmOnnx(
  config: LlamaConfig,
  params: ParameterSet,
  options: OnnxExportOptions & { seqLen?: number } = {},
): OnnxExport {
  const seqLen = options.seqLen ?? config.max_position_embeddings;
  if (!Number.isSafeInteger(seqLen) || seqLen < 1 || seqLen > config.max_position_embeddings) {
    throw new ValidationError(
      "ONNX_SEQ_LEN_INVALID",
      `sequence length ${seqLen} is not in 1..${config.max_position_embeddings} (the model's context length)`,
      { hint: "ask for a length up to the model's context length, or leave it out for the full context" },
    );
  }
  const g = new Graph("causal_lm");
  const weights = bindParameterInputs(g, new Map([...params].map(([name, p]) => [name, p.shape])));
  const ids = g.input("input_ids", "int64", ["batch", seqLen]);
  const mask = g.input("attention_mask", "int64", ["batch", seqLen]);
  const rows = llamaForward(
    config,
    { get: (name) => weights.get(name)!, lora: () => undefined },
    ids,
    mask.cast("float32"),
  );
  g.output("logits", rows.reshape(["batch", seqLen, config.vocab_size]));
  return embedWeights(
    g,
    params,
    "causal-lm",
    { config: JSON.stringify(config), seq_len: String(seqLen), ...options.metadata },
    `Llama-style decoder exported by Flock (opset ${OPSET}). input_ids int64 [batch, ${seqLen}], attention_mask int64 [batch, ${seqLen}] (1 = token, 0 = right padding) -> logits float32 [batch, ${seqLen}, ${config.vocab_size}].`,
  );
}

/** A tabular MLP as one `.onnx` file: `features` [batch, F] → `logits` [batch, classes] or `prediction` [batch, 1]. */
export function exportTabularOnnx(
  spec: TabularModelSpec,
  params: ParameterSet,
  options: OnnxExportOptions = {},
): OnnxExport {
  const g = new Graph(`tabular_${spec.config.kind}`);
  const weights = bindParameterInputs(g, new Map([...params].map(([name, p]) => [name, p.shape])));
  const x = g.input("features", "float32", ["batch", spec.config.numFeatures]);
  const out = tabularMlpForward(spec.config, weights, x);
  const name = spec.config.kind === "classifier" ? "logits" : "prediction";
  g.output(name, out);
  return embedWeights(
    g,
    params,
    spec.config.kind,
    {
      config: JSON.stringify(spec.config),
      features: JSON.stringify(spec.features),
      label: spec.label,
      ...options.metadata,
    },
    `Tabular ${spec.config.kind} exported by Flock (opset ${OPSET}). features float32 [batch, ${spec.config.numFeatures}] (columns ${spec.features.join(", ")}) -> ${name} float32 [batch, ${out.shape[1]}].`,
  );
}

/**
 * The `.onnx` file of a Flock artifact: a decoder (`flock-llama/1`), a LoRA adapter (`flock-lora-adapter/1`,
 * merged into `baseModel`, the bytes of the base model it names) or a tabular MLP. Anything else is
 * `ONNX_EXPORT_UNSUPPORTED`.
 */
export function onnxFromArtifact(
  bytes: Uint8Array,
  options: OnnxExportOptions & {
    seqLen?: number;
    /** The base model's bytes, for an adapter. */
    baseModel?: Uint8Array;
  } = {},
): OnnxExport {
  let metadata: Record<string, string>;
  try {
    metadata = readSafetensors(bytes).metadata;
  } catch (cause) {
    throw unsupported("it is not a safetensors file", cause);
  }
  const pass = {
    ...(options.metadata === undefined ? {} : { metadata: options.metadata }),
    ...(options.seqLen === undefined ? {} : { seqLen: options.seqLen }),
  };
  if (metadata.flock_format === BASE_MODEL_FORMAT) {
    const { config, params } = decodeBaseModel(bytes);
    return exportCausalLmOnnx(config, params, pass);
  }
  if (metadata.flock_format === ADAPTER_ARTIFACT_FORMAT) {
    if (options.baseModel === undefined) throw unsupported("the base model of the adapter was not given");
    const baseId = metadata.base_model ?? "";
    if (contentId(options.baseModel) !== baseId) {
      throw new ValidationError(
        "ARTIFACT_WRONG_BASE",
        `the adapter was trained on ${baseId}, not on the base model given`,
        {
          hint: "give the bytes of the base model the adapter names",
          details: { baseModel: baseId, given: contentId(options.baseModel) },
        },
      );
    }
    const base = decodeBaseModel(options.baseModel);
    const adapter = decodeAdapterArtifact(bytes, base.config, baseId);
    return exportCausalLmOnnx(
      base.config,
      mergeLora(base.config, base.params, adapter.lora, adapter.adapter),
      pass,
    );
  }
  if (metadata[TABULAR_MODEL_KEY] !== undefined) {
    const { spec, params } = readTabularModel(bytes);
    return exportTabularOnnx(spec, params, pass);
  }
  throw unsupported(`its format is ${metadata.flock_format ?? "not a Flock model format"}`);
}

function unsupported(why: string, cause?: unknown, hint?: string): ValidationError {
  return new ValidationError("ONNX_EXPORT_UNSUPPORTED", `the artifact has no ONNX export: ${why}`, {
    hint:
      hint ??
      `ONNX exports are made of ${BASE_MODEL_FORMAT} decoders, ${ADAPTER_ARTIFACT_FORMAT} adapters (with their base model) and tabular MLPs`,
    ...(cause === undefined ? {} : { cause }),
  });
}
