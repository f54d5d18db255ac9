/** Sizes and timings of the demo; `quick` keeps an end-to-end test well under three minutes. */
export interface DemoSettings {
  model: { hiddenSize: number; numLayers: number; numHeads: number; contextLength: number };
  pretrain: { corpusBytes: number; steps: number; batchSize: number };
  data: { trainExamples: number; hiddenExamples: number };
  /** Optimizer steps of every trainer's recipe. */
  recipeSteps: number;
  batchSize: number;
  /** Seconds from task creation to the submission deadline, and from the deadline to the task's end. */
  deadlineSeconds: number;
  validationSeconds: number;
}

export const DEFAULT_DEMO: DemoSettings = {
  model: { hiddenSize: 64, numLayers: 2, numHeads: 4, contextLength: 96 },
  pretrain: { corpusBytes: 200_000, steps: 300, batchSize: 8 },
  data: { trainExamples: 400, hiddenExamples: 48 },
  recipeSteps: 150,
  batchSize: 8,
  deadlineSeconds: 45,
  validationSeconds: 25,
};

export const QUICK_DEMO: DemoSettings = {
  model: { hiddenSize: 32, numLayers: 1, numHeads: 2, contextLength: 96 },
  pretrain: { corpusBytes: 30_000, steps: 30, batchSize: 8 },
  data: { trainExamples: 96, hiddenExamples: 16 },
  recipeSteps: 30,
  batchSize: 4,
  deadlineSeconds: 20,
  validationSeconds: 12,
};
