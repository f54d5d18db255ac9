import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { engineTrainingBackend, recipe } from "@flock/node";
import type { DemoSettings } from "./demoSettings.ts";

/** How fast this machine trains right now, measured on the demo's own model and data. */
export interface Calibration {
  /** Seconds of one optimizer step of the demo's largest recipe, after the graph is built. */
  secondsPerStep: number;
  /** Seconds to load the base model and build the training graph (paid once per trainer). */
  setupSeconds: number;
  /** CPU cores the trainers share. */
  cores: number;
}

const MEASURED_STEPS = 4;

/**
 * Time a few training steps of the `bold` recipe (rank 8 on every projection: the slowest of the three) on the
 * demo's base model and training set. Measured under the machine's current load, so a busy machine gets
 * deadlines that fit it instead of a fixed number that only fits an idle one.
 */
export async function calibrateTraining(
  baseModel: Uint8Array,
  trainingData: string,
  settings: DemoSettings,
): Promise<Calibration> {
  const workDir = mkdtempSync(join(tmpdir(), "flock-calibration-"));
  const stepTimes: number[] = [];
  let last = performance.now();
  const started = last;
  try {
    await engineTrainingBackend().train(
      {
        baseModelId: "calibration",
        baseModel,
        trainingData,
        recipe: recipe("bold", {
          steps: MEASURED_STEPS,
          batchSize: settings.batchSize,
          seqLen: settings.model.contextLength,
        }),
        workDir,
      },
      () => {
        const now = performance.now();
        stepTimes.push((now - last) / 1000);
        last = now;
      },
    );
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  // The first step includes building the graph; the steady rate is the slowest of the others.
  const steady = stepTimes.slice(1);
  const secondsPerStep = steady.length === 0 ? (last - started) / 1000 : Math.max(...steady);
  const setupSeconds = Math.max(0, (last - started) / 1000 - secondsPerStep * steady.length);
  return { secondsPerStep, setupSeconds, cores: availableParallelism() };
}

/**
 * The demo's submission deadline and validation window in seconds, from a calibration: `trainers` run side by
 * side on `cores` cores, each paying its setup and `recipeSteps` steps, with a safety factor of 2 for load
 * that changes during the run, plus time to commit and upload; never below the settings' own values.
 *
 *   deadline   = max(settings, ceil(2 · (setup + steps · secondsPerStep) · ⌈trainers / cores⌉) + 15)
 *   validation = max(settings, ceil(2 · setup · ⌈validators / cores⌉) + 10)
 */
export function demoTimings(
  settings: DemoSettings,
  calibration: Calibration,
  cast: { trainers: number; validators: number },
): { deadlineSeconds: number; validationSeconds: number } {
  const cores = Math.max(1, calibration.cores);
  const trainerRounds = Math.ceil(cast.trainers / cores);
  const validatorRounds = Math.ceil(cast.validators / cores);
  const training = calibration.setupSeconds + settings.recipeSteps * calibration.secondsPerStep;
  return {
    deadlineSeconds: Math.max(settings.deadlineSeconds, Math.ceil(2 * training * trainerRounds) + 15),
    validationSeconds: Math.max(
      settings.validationSeconds,
      Math.ceil(2 * calibration.setupSeconds * validatorRounds) + 10,
    ),
  };
}
