import { ValidationError } from "@flock/core";

/** A LoRA adapter's hyper-parameters (Hu et al. 2021), as in PEFT. */
export interface LoraConfig {
  r: number;
  alpha: number;
  dropout: number;
  /** Module names the adapter attaches to, e.g. ["q_proj", "v_proj"]. */
  targetModules: string[];
}

/** PEFT's `adapter_config.json` for a LoRA adapter on a causal LM. */
export interface PeftAdapterConfig {
  peft_type: "LORA";
  task_type: "CAUSAL_LM";
  r: number;
  lora_alpha: number;
  lora_dropout: number;
  target_modules: string[];
  bias: "none";
  fan_in_fan_out: false;
  inference_mode: boolean;
  base_model_name_or_path: string | null;
  init_lora_weights: true;
  modules_to_save: null;
  use_rslora: false;
}

/** Defaults: rank 8, alpha 16, no dropout, attention query and value projections. */
export function loraConfig(options: Partial<LoraConfig> = {}): LoraConfig {
  const config = {
    r: options.r ?? 8,
    alpha: options.alpha ?? 2 * (options.r ?? 8),
    dropout: options.dropout ?? 0,
    targetModules: options.targetModules ?? ["q_proj", "v_proj"],
  };
  if (!Number.isSafeInteger(config.r) || config.r <= 0) {
    throw new ValidationError("LORA_BAD_RANK", `LoRA rank must be a positive integer, got ${config.r}`, {
      hint: "use r = 4, 8 or 16",
    });
  }
  if (!(config.dropout >= 0 && config.dropout < 1)) {
    throw new ValidationError("LORA_BAD_DROPOUT", `LoRA dropout must be in [0, 1), got ${config.dropout}`, {
      hint: "use 0 to 0.1",
    });
  }
  return config;
}

/** Scale applied to the adapter's output: alpha / r. */
export function loraScale(config: LoraConfig): number {
  return config.alpha / config.r;
}

/** The PEFT `adapter_config.json` object. */
export function toPeftConfig(config: LoraConfig, baseModel: string | null = null): PeftAdapterConfig {
  return {
    peft_type: "LORA",
    task_type: "CAUSAL_LM",
    r: config.r,
    lora_alpha: config.alpha,
    lora_dropout: config.dropout,
    target_modules: [...config.targetModules],
    bias: "none",
    fan_in_fan_out: false,
    inference_mode: true,
    base_model_name_or_path: baseModel,
    init_lora_weights: true,
    modules_to_save: null,
    use_rslora: false,
  };
}

/** Read a PEFT `adapter_config.json` (LoRA only). */
export function fromPeftConfig(value: unknown): LoraConfig {
  const c = value as Partial<PeftAdapterConfig>;
  if (c.peft_type !== "LORA") {
    throw new ValidationError(
      "LORA_CONFIG_INVALID",
      `adapter_config.json: peft_type is ${c.peft_type}, not LORA`,
      {
        hint: "the engine loads LoRA adapters",
      },
    );
  }
  if (!Array.isArray(c.target_modules)) {
    throw new ValidationError("LORA_CONFIG_INVALID", "adapter_config.json: target_modules must be a list", {
      hint: 'list module names, e.g. ["q_proj", "v_proj"]',
    });
  }
  return loraConfig({
    r: c.r,
    alpha: c.lora_alpha,
    dropout: c.lora_dropout ?? 0,
    targetModules: c.target_modules,
  });
}
