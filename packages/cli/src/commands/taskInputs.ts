import { readFileSync } from "node:fs";
import { FlockError, ValidationError } from "@flock/core";
import { chatEvaluationBatches, decodeBaseModel, parseShareGpt } from "@flock/engine";

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

/**
 * A ShareGPT JSONL set (training or hidden), checked to parse (every bad line named, as the engine reports
 * it) and to hold at least one conversation. A hidden set must also have scored bytes at the task's context:
 * BPC is measured on assistant replies only (SPEC §2.1), and a set without any would score every submission
 * 0 bits per byte, a perfect score the epoch would pay.
 */
export function readConversationFile(
  path: string,
  option: "--train" | "--validation",
  contextLength?: number,
): Uint8Array {
  const bytes = readInput(path, option);
  const text = new TextDecoder().decode(bytes);
  let count: number;
  try {
    count = parseShareGpt(text).length;
  } catch (cause) {
    if (!(cause instanceof FlockError)) throw cause;
    const problems = (cause.details as { problems?: { line: number; message: string }[] } | undefined)
      ?.problems;
    throw new ValidationError(
      "TASK_DATA_INVALID",
      `${option} ${path} is not ShareGPT JSONL: ${cause.message}`,
      {
        hint: `fix or remove the listed lines of ${path}: ${cause.hint ?? "one JSON conversation per line"}`,
        details: { path, option, ...(problems === undefined ? {} : { problems }) },
        cause,
      },
    );
  }
  if (count === 0) {
    throw new ValidationError("TASK_DATA_EMPTY", `${option} ${path} holds no conversation`, {
      hint: "give at least one conversation per line",
    });
  }
  if (contextLength !== undefined) {
    try {
      chatEvaluationBatches(text, contextLength, contextLength);
    } catch (cause) {
      if (!(cause instanceof FlockError) || cause.code !== "VALIDATION_SET_NOTHING_SCORED") throw cause;
      throw new ValidationError(
        "TASK_VALIDATION_NOTHING_SCORED",
        `${option} ${path} has nothing to score: none of its ${count} conversation(s) has an assistant reply within ${contextLength} tokens`,
        {
          hint: `give hidden conversations with assistant replies (BPC is measured on them), or a larger --context-length`,
          details: { path, conversations: count, contextLength },
          cause,
        },
      );
    }
  }
  return bytes;
}
