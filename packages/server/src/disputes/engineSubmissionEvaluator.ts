import { NotImplementedError, ValidationError } from "@flock/core";
import {
  ByteTokenizer,
  fromPeftConfig,
  LanguageModelEvaluator,
  type LlamaConfig,
  llamaParameterShapes,
  loraParameterShapes,
  makeBatches,
  type ParameterSet,
  parametersFromTensors,
  parseShareGpt,
  readSafetensors,
  renderChat,
  validateLlamaConfig,
} from "@flock/engine";
import { languageEvaluationSettings } from "./evaluationSettings.ts";
import type { EvaluationInput, SubmissionEvaluator } from "./submissionEvaluator.ts";

/** A base model file: Hugging Face Llama tensors with `config.json` in the safetensors metadata. */
export const BASE_MODEL_FORMAT = "flock-llama/1";
/** A LoRA submission: PEFT adapter tensors with `adapter_config.json` and the base model's id in the metadata. */
export const ADAPTER_ARTIFACT_FORMAT = "flock-lora-adapter/1";

function malformed(message: string): ValidationError {
  return new ValidationError("ARTIFACT_MALFORMED", message, {
    hint: "a scored submission must be a flock-lora-adapter/1 file for the task's base model",
  });
}

function decodeBaseModel(bytes: Uint8Array): { config: LlamaConfig; params: ParameterSet } {
  const file = readSafetensors(bytes);
  if (file.metadata.flock_format !== BASE_MODEL_FORMAT || file.metadata.config === undefined) {
    throw new ValidationError("BASE_MODEL_MALFORMED", `the base model is not a ${BASE_MODEL_FORMAT} file`, {
      hint: "a task's base model must be stored in the flock-llama/1 format",
    });
  }
  const config = validateLlamaConfig(JSON.parse(file.metadata.config));
  return { config, params: parametersFromTensors(file.tensors, llamaParameterShapes(config)) };
}

function decodeAdapter(bytes: Uint8Array, config: LlamaConfig, input: EvaluationInput) {
  const file = readSafetensors(bytes);
  if (file.metadata.flock_format !== ADAPTER_ARTIFACT_FORMAT) {
    throw malformed(`the artifact's format is ${file.metadata.flock_format ?? "missing"}`);
  }
  if (file.metadata.base_model !== input.baseModelId) {
    throw malformed(`the adapter was trained on ${file.metadata.base_model}, not ${input.baseModelId}`);
  }
  const lora = fromPeftConfig(JSON.parse(file.metadata.adapter_config ?? "null"));
  const expected = loraParameterShapes(config, lora);
  const extra = Object.keys(file.tensors).filter((name) => !expected.has(name));
  if (extra.length > 0) throw malformed(`unexpected tensors ${extra.slice(0, 3).join(", ")}`);
  return { config: lora, adapter: parametersFromTensors(file.tensors, expected) };
}

/**
 * The referee's evaluator on `@flock/engine`: BPC of base + LoRA adapter on the hidden ShareGPT set,
 * `BPC = Σ NLL_nats(scored tokens) / (ln 2 · Σ UTF-8 bytes of scored tokens)` (SPEC §2.1), with the
 * validators' exact settings (`languageEvaluationSettings`) and the engine's fixed-order sums, so an honest
 * validator's score is reproduced to the bit. Only LoRA language tasks are evaluated.
 */
export function engineSubmissionEvaluator(): SubmissionEvaluator {
  return {
    async evaluate(input) {
      if (input.taskType !== "lm-lora") {
        throw new NotImplementedError(`refereeing a ${input.taskType} task's scores`, {
          hint: "only lm-lora scores are re-run; dispute those",
          details: { taskType: input.taskType },
        });
      }
      const base = decodeBaseModel(input.baseModel);
      const lora = decodeAdapter(input.artifact, base.config, input);
      const settings = languageEvaluationSettings(input.contextLength, base.config.max_position_embeddings);
      const tokenizer = new ByteTokenizer();
      const examples = parseShareGpt(new TextDecoder().decode(input.validationSet)).map((c) =>
        renderChat(c, tokenizer, { maxTokens: settings.maxTokens }),
      );
      const batches = makeBatches(examples, {
        batchSize: settings.batchSize,
        seqLen: settings.seqLen,
        padId: tokenizer.specials.pad,
        pack: settings.pack,
      });
      if (batches.length === 0) {
        throw new ValidationError("VALIDATION_SET_EMPTY", "the hidden validation set holds no conversation", {
          hint: "the task's hidden set must contain ShareGPT conversations",
        });
      }
      const evaluator = new LanguageModelEvaluator(base.config, base.params, {
        threads: settings.threads,
        lora,
        mergeAdapter: settings.mergeAdapter,
      });
      try {
        const metrics = await evaluator.evaluate(batches);
        return { metric: metrics.bpc };
      } finally {
        await evaluator.release();
      }
    },
  };
}
