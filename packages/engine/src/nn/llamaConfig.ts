import { ValidationError } from "@flock/core";

/** A Llama-style decoder config with Hugging Face `config.json` keys (loads as `LlamaForCausalLM`). */
export interface LlamaConfig {
  architectures: ["LlamaForCausalLM"];
  model_type: "llama";
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  vocab_size: number;
  max_position_embeddings: number;
  rms_norm_eps: number;
  rope_theta: number;
  tie_word_embeddings: boolean;
  torch_dtype: "float32";
  hidden_act: "silu";
  attention_bias: false;
  mlp_bias: false;
  initializer_range: number;
  bos_token_id?: number;
  eos_token_id?: number;
  pad_token_id?: number;
}

/** The sizes that define a decoder; everything else has Llama defaults. */
export interface LlamaSizes {
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads?: number;
  intermediateSize?: number;
  vocabSize: number;
  maxPositions: number;
  tieWordEmbeddings?: boolean;
  ropeTheta?: number;
  rmsNormEps?: number;
}

/** Build a full config from sizes (intermediate size defaults to the Llama ratio 8/3, rounded to 32). */
export function llamaConfig(sizes: LlamaSizes): LlamaConfig {
  const config: LlamaConfig = {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    hidden_size: sizes.hiddenSize,
    intermediate_size: sizes.intermediateSize ?? Math.ceil((sizes.hiddenSize * 8) / 3 / 32) * 32,
    num_hidden_layers: sizes.numLayers,
    num_attention_heads: sizes.numHeads,
    num_key_value_heads: sizes.numKvHeads ?? sizes.numHeads,
    vocab_size: sizes.vocabSize,
    max_position_embeddings: sizes.maxPositions,
    rms_norm_eps: sizes.rmsNormEps ?? 1e-5,
    rope_theta: sizes.ropeTheta ?? 10000,
    tie_word_embeddings: sizes.tieWordEmbeddings ?? true,
    torch_dtype: "float32",
    hidden_act: "silu",
    attention_bias: false,
    mlp_bias: false,
    initializer_range: 0.02,
  };
  validateLlamaConfig(config);
  return config;
}

/** Check a config read from `config.json`. */
export function validateLlamaConfig(value: unknown): LlamaConfig {
  const c = value as Partial<LlamaConfig>;
  const positive = [
    "hidden_size",
    "intermediate_size",
    "num_hidden_layers",
    "num_attention_heads",
    "num_key_value_heads",
    "vocab_size",
    "max_position_embeddings",
  ] as const;
  for (const key of positive) {
    if (!Number.isSafeInteger(c[key]) || (c[key] as number) <= 0) {
      throw new ValidationError("LLAMA_CONFIG_INVALID", `config.json: ${key} must be a positive integer`, {
        hint: "fix config.json (Hugging Face LlamaConfig keys)",
      });
    }
  }
  if (c.model_type !== "llama") {
    throw new ValidationError(
      "LLAMA_CONFIG_INVALID",
      `config.json: model_type is ${c.model_type}, not "llama"`,
      {
        hint: "the engine runs Llama-style decoders",
      },
    );
  }
  const hd = c.hidden_size! / c.num_attention_heads!;
  if (!Number.isInteger(hd) || hd % 2 !== 0 || c.num_attention_heads! % c.num_key_value_heads! !== 0) {
    throw new ValidationError(
      "LLAMA_CONFIG_INVALID",
      "config.json: hidden_size / num_attention_heads must be an even integer and heads a multiple of key-value heads",
      { hint: "pick sizes like hidden 128, heads 4, key-value heads 4 or 2" },
    );
  }
  return {
    ...c,
    rms_norm_eps: c.rms_norm_eps ?? 1e-6,
    rope_theta: c.rope_theta ?? 10000,
    tie_word_embeddings: c.tie_word_embeddings ?? false,
  } as LlamaConfig;
}

/** Head dimension of a config. */
export function headDim(config: LlamaConfig): number {
  return config.hidden_size / config.num_attention_heads;
}
