import { BatchStream, type DataPosition } from "../data/batching.ts";
import { saveCheckpoint } from "./checkpoint.ts";
import type { StepResult, Trainer } from "./trainer.ts";

/** Progress of a training run, reported after every optimizer step (the CLI draws a bar from it). */
export interface TrainingProgress extends StepResult {
  totalSteps: number;
  position: DataPosition;
  elapsedMs: number;
}

export interface TrainingRunOptions<Item> {
  trainer: Trainer<Item>;
  items: readonly Item[];
  /** Optimizer steps to run in total (counting steps already done when resuming). */
  totalSteps: number;
  /** Seed of the data order (one permutation per epoch). */
  seed: number;
  /** Where to resume in the data stream (from a checkpoint). */
  position?: DataPosition;
  onProgress?: (progress: TrainingProgress) => void;
  /** Write a checkpoint to `dir` every `every` steps and at the end. */
  checkpoint?: { dir: string; every: number };
}

/** Run optimizer steps over a seeded, resumable stream of items until `totalSteps`. */
export async function runTraining<Item>(
  options: TrainingRunOptions<Item>,
): Promise<{ results: StepResult[]; position: DataPosition }> {
  const { trainer } = options;
  const stream = new BatchStream(options.items, {
    seed: options.seed,
    ...(options.position ? { position: options.position } : {}),
  });
  const k = trainer.options.accumulation ?? 1;
  const start = performance.now();
  const results: StepResult[] = [];
  while (trainer.step < options.totalSteps) {
    const micro: Item[] = [];
    for (let i = 0; i < k; i++) micro.push(stream.next());
    const result = await trainer.trainStep(micro);
    results.push(result);
    options.onProgress?.({
      ...result,
      totalSteps: options.totalSteps,
      position: stream.position,
      elapsedMs: performance.now() - start,
    });
    const every = options.checkpoint?.every ?? 0;
    if (options.checkpoint && (trainer.step % every === 0 || trainer.step === options.totalSteps)) {
      await saveCheckpoint(options.checkpoint.dir, {
        trainer: trainer.saveState(),
        position: stream.position,
      });
    }
  }
  return { results, position: stream.position };
}
