/** Sizes and timings of the demo; `quick` keeps an end-to-end test well under three minutes. */
export interface DemoSettings {
  /** The task's context length is the model's (default 256: all but the longest table lookups fit). */
  model: { hiddenSize: number; numLayers: number; numHeads: number; contextLength: number };
  /**
   * Pretraining text: `corpusBytes` of generated stories interleaved with `workedExamples` plain-text
   * question/answer pairs (see `pretrainingText.ts`).
   */
  pretrain: { corpusBytes: number; workedExamples: number; steps: number; batchSize: number };
  data: { trainExamples: number; hiddenExamples: number };
  /** Optimizer steps of every trainer's recipe. */
  recipeSteps: number;
  batchSize: number;
  /** Seconds from task creation to the submission deadline, and from the deadline to the task's end. */
  deadlineSeconds: number;
  validationSeconds: number;
  /**
   * Seconds after a task closes before its stakes can be withdrawn. The coordinator closes a task only after
   * its copy slashes and refereed disputes ran, so on the demo's own network a short window costs nothing and
   * lets the next run take its stakes back (TaskStaking counts at most 32 unfinished tasks per account).
   */
  disputeWindowSeconds: number;
  /**
   * The FL chapter's federated task: rounds to accept (a rejected round is played again), seconds to train
   * (a round ends as soon as everyone answered), seconds to stake and join, and the LoRA
   * recipe every round asks for and the organizations' data.
   */
  fl: {
    rounds: number;
    roundSeconds: number;
    joinSeconds: number;
    /** The LoRA recipe of the federated fine-tune of the Arena's winner (the task's trainConfig). */
    loraRank: number;
    targetModules: string;
    learningRate: number;
    localSteps: number;
    batchSize: number;
    seqLen: number;
    /** Instruction conversations each organization holds (train, test), and the held-out set's. */
    trainConversations: number;
    testConversations: number;
    heldOutConversations: number;
    seed: number;
  };
}

/**
 * About 2 minutes on 2 cores (figures in the package README): pretraining (~30–35 s) and the three
 * trainers' 220 steps each (~25–40 s side by side) are the compute; the rest waits for the deadline and
 * for validation.
 */
export const DEFAULT_DEMO: DemoSettings = {
  model: { hiddenSize: 64, numLayers: 2, numHeads: 4, contextLength: 256 },
  pretrain: { corpusBytes: 150_000, workedExamples: 600, steps: 600, batchSize: 8 },
  data: { trainExamples: 2000, hiddenExamples: 96 },
  recipeSteps: 220,
  batchSize: 8,
  deadlineSeconds: 60,
  validationSeconds: 20,
  disputeWindowSeconds: 60,
  fl: {
    rounds: 3,
    roundSeconds: 15,
    joinSeconds: 15,
    loraRank: 8,
    targetModules: "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj",
    learningRate: 0.01,
    localSteps: 16,
    batchSize: 8,
    seqLen: 128,
    trainConversations: 64,
    testConversations: 16,
    heldOutConversations: 32,
    seed: 7,
  },
};

export const QUICK_DEMO: DemoSettings = {
  model: { hiddenSize: 32, numLayers: 1, numHeads: 2, contextLength: 96 },
  pretrain: { corpusBytes: 30_000, workedExamples: 60, steps: 30, batchSize: 8 },
  data: { trainExamples: 96, hiddenExamples: 16 },
  recipeSteps: 30,
  batchSize: 4,
  deadlineSeconds: 20,
  validationSeconds: 12,
  disputeWindowSeconds: 5,
  fl: {
    rounds: 2,
    roundSeconds: 8,
    joinSeconds: 8,
    loraRank: 8,
    targetModules: "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj",
    learningRate: 0.01,
    localSteps: 16,
    batchSize: 8,
    seqLen: 96,
    trainConversations: 48,
    testConversations: 16,
    heldOutConversations: 24,
    seed: 7,
  },
};
