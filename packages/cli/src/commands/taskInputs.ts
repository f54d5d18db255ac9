import { readFileSync } from "node:fs";
import { ValidationError } from "@flock/core";
import { decodeBaseModel, parseShareGpt } from "@flock/engine";

/** A file named by an option, or a clear error saying which option and why. */
function readInput(path: string, option: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (cause) {
    throw new ValidationError("TASK_INPUT_UNREADABLE", `${option} ${path} cannot be read`, {
      hint: `check the path given to ${option}`,
      cause,
    });
  }
}

/**
 * The base model file, checked before anything is published: a `flock-llama/1` model whose context fits the
 * task's (trainers would otherwise fail on it after the task is open).
 */
export function readBaseModelFile(path: string, contextLength: number): Uint8Array {
  const bytes = readInput(path, "--base-model");
  let maxPositions: number;
  try {
    maxPositions = decodeBaseModel(bytes).config.max_position_embeddings;
  } catch (cause) {
    throw new ValidationError(
      "TASK_BASE_MODEL_INVALID",
      `--base-model ${path} is not a flock-llama/1 base model`,
      {
        hint: "pass a base model file made by the engine (flock demo keeps one in <home>/models), or its content id",
        cause,
      },
    );
  }
  if (contextLength > maxPositions) {
    throw new ValidationError(
      "TASK_CONTEXT_TOO_LONG",
      `--context-length ${contextLength} exceeds the base model's ${maxPositions} positions`,
      { hint: `give --context-length ${maxPositions} or less`, details: { contextLength, maxPositions } },
    );
  }
  return bytes;
}

/** A ShareGPT JSONL set (training or hidden), checked to parse and to hold at least one conversation. */
export function readConversationFile(path: string, option: "--train" | "--validation"): Uint8Array {
  const bytes = readInput(path, option);
  let count: number;
  try {
    count = parseShareGpt(new TextDecoder().decode(bytes)).length;
  } catch (cause) {
    throw new ValidationError("TASK_DATA_INVALID", `${option} ${path} is not ShareGPT JSONL`, {
      hint: 'one JSON object per line: {"conversations":[{"role":"user","content":…},{"role":"assistant",…}]}',
      cause,
    });
  }
  if (count === 0) {
    throw new ValidationError("TASK_DATA_EMPTY", `${option} ${path} holds no conversation`, {
      hint: "give at least one conversation per line",
    });
  }
  return bytes;
}
