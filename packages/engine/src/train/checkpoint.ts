import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { EngineError } from "@flock/core";
import type { DataPosition } from "../data/batching.ts";
import { readSafetensors, writeSafetensors } from "../io/safetensors.ts";
import type { TrainerState } from "./trainer.ts";

/** A resumable training checkpoint: weights + optimizer state + step, and where the data stream is. */
export interface Checkpoint {
  trainer: TrainerState;
  position: DataPosition;
}

const FILE = "checkpoint.safetensors";

/** Write a checkpoint to `dir/checkpoint.safetensors` (atomically: temp file, then rename). */
export async function saveCheckpoint(dir: string, checkpoint: Checkpoint): Promise<string> {
  await mkdir(dir, { recursive: true });
  const bytes = writeSafetensors(checkpoint.trainer.tensors, {
    step: String(checkpoint.trainer.step),
    epoch: String(checkpoint.position.epoch),
    index: String(checkpoint.position.index),
  });
  const path = join(dir, FILE);
  await writeFile(`${path}.tmp`, bytes);
  await rename(`${path}.tmp`, path);
  return path;
}

/** Read a checkpoint written by `saveCheckpoint`. */
export async function loadCheckpoint(dir: string): Promise<Checkpoint> {
  const file = readSafetensors(new Uint8Array(await readFile(join(dir, FILE))));
  const number = (key: string): number => {
    const value = Number(file.metadata[key]);
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new EngineError("CHECKPOINT_INVALID", `checkpoint metadata ${key} is missing or invalid`, {
        hint: "resume from a checkpoint written by the engine's saveCheckpoint",
      });
    }
    return value;
  };
  return {
    trainer: { step: number("step"), tensors: file.tensors },
    position: { epoch: number("epoch"), index: number("index") },
  };
}
