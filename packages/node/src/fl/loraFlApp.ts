import { ValidationError } from "@flock/core";
import {
  adamw,
  type BaseModel,
  type Batch,
  ByteTokenizer,
  type Conversation,
  createRng,
  epochPermutation,
  evaluateLanguageModel,
  initLoraParameters,
  languageModelTask,
  loraParameterShapes,
  makeBatches,
  mixSeed,
  type PackedRow,
  type ParameterSet,
  packRows,
  parseShareGpt,
  renderChat,
  rowsToBatch,
  scoredBytes,
  Trainer,
} from "@flock/engine";
import {
  type Arrays,
  type Config,
  type Evaluation,
  type FlLoraRecipe,
  flLoraRecipeOf,
  type Message,
  type NodeApp,
} from "@flock/fl";

/** Rows per evaluation batch (one conversation per row, never packed, as the Arena's scoring). */
const EVALUATION_BATCH_SIZE = 8;
/** Global gradient norm each local step is clipped to. */
const CLIP_NORM = 1;

export interface LoraFlAppOptions {
  /** The task's base model (a `flock-llama/1` file, decoded): frozen; only the adapter trains. */
  base: BaseModel;
  /** The participant's private training conversations (ShareGPT JSONL). */
  trainJsonl: string;
  /** Its private test conversations: what it evaluates global adapters and candidates on (and votes with). */
  testJsonl: string;
  /** The task's trainConfig: the LoRA recipe (training messages carry it too; evaluations do not). */
  trainConfig: Config;
  /** Seed of the local batch order (mixed with the recipe's seed and the round). */
  seed?: number;
}

/** A NodeApp over local ShareGPT files that also tells how many conversations it holds. */
export interface LoraFlApp extends NodeApp {
  readonly trainConversations: number;
  readonly testConversations: number;
  /** Compile the task's trainer ahead of the first round (training awaits the same compilation). */
  prepare(): Promise<void>;
  /** Release the compiled trainers. */
  release(): Promise<void>;
}

/** Conversations of a ShareGPT JSONL file, with a message naming the file; a file with none is refused. */
export function readConversations(jsonl: string, which: string): Conversation[] {
  let conversations: Conversation[];
  try {
    conversations = parseShareGpt(jsonl);
  } catch (error) {
    if (error instanceof ValidationError) {
      throw new ValidationError(error.code, `${which}: ${error.message}`, {
        ...(error.hint === undefined ? {} : { hint: error.hint }),
        ...(error.details === undefined ? {} : { details: error.details }),
        cause: error,
      });
    }
    throw error;
  }
  if (conversations.length === 0) {
    throw new ValidationError("FL_DATA_EMPTY", `${which} holds no conversation`, {
      hint: "give a ShareGPT JSONL file with one conversation per line (flock fl shards --dataset instructions writes some)",
    });
  }
  return conversations;
}

/**
 * The participant side of a federated LoRA task (`lm-lora`) over local ShareGPT files: `train` starts from the
 * received global adapter and takes AdamW steps on the adapter only (base frozen) over the private training
 * conversations — chat template, assistant tokens scored, rows packed — as the task's recipe says; `evaluate`
 * measures the received adapter on the private test conversations: loss = bits per assistant byte (bpc), nll =
 * nats per scored token. The data never leaves the app.
 */
export function loraFlApp(options: LoraFlAppOptions): LoraFlApp {
  const { config, params: base } = options.base;
  const tokenizer = new ByteTokenizer();
  const train = readConversations(options.trainJsonl, "the training file");
  const test = readConversations(options.testJsonl, "the test file");
  const seed = options.seed ?? 0;
  const rowsBySeqLen = new Map<number, PackedRow[]>();
  const testBySeqLen = new Map<number, Batch[]>();
  // The task's recipe, checked once here: a task this base model cannot run is refused before any stake.
  const taskRecipe = flLoraRecipeOf(options.trainConfig, config);
  // Bits per byte are measured on assistant bytes only: files whose replies all fall beyond the recipe's row
  // length would train on nothing and vote on nothing.
  for (const [which, batches] of [
    [
      "the training file",
      [rowsToBatch(trainRows(taskRecipe.seqLen), taskRecipe.seqLen, tokenizer.specials.pad)],
    ],
    ["the test file", testBatches(taskRecipe.seqLen)],
  ] as const) {
    if (scoredBytes(batches) === 0) {
      throw new ValidationError(
        "FL_DATA_EMPTY",
        `${which} has no assistant reply within the task's ${taskRecipe.seqLen} tokens per row`,
        { hint: "give conversations whose assistant replies start within the row length (shorter prompts)" },
      );
    }
  }
  const trainers = new Map<string, Promise<Trainer<Batch>>>();

  function recipeOf(message: Message): FlLoraRecipe {
    return message.kind === "train"
      ? flLoraRecipeOf({ ...options.trainConfig, ...message.config }, config)
      : taskRecipe;
  }

  function checkArrays(arrays: Arrays | undefined, recipe: FlLoraRecipe, what: string): ParameterSet {
    if (arrays === undefined) {
      throw new ValidationError("FL_ARRAYS_MISSING", `a ${what} message without arrays`, {
        hint: "the coordinator sends the adapter to train from or evaluate with every such message",
      });
    }
    const shapes = loraParameterShapes(config, recipe.lora);
    for (const [name, shape] of shapes) {
      const p = arrays.get(name);
      if (p === undefined || p.shape.join(",") !== shape.join(",")) {
        throw new ValidationError(
          "FL_ARRAYS_MISMATCH",
          `the received adapter lacks ${name} of shape [${shape.join(", ")}]`,
          { hint: "the task's adapter and this base model differ; join with the task's own base model" },
        );
      }
    }
    if (arrays.size !== shapes.size) {
      throw new ValidationError(
        "FL_ARRAYS_MISMATCH",
        `the received adapter has ${arrays.size} arrays, the recipe ${shapes.size}`,
        { hint: "the task's adapter and its recipe differ; join with the task's own base model" },
      );
    }
    return new Map([...shapes.keys()].map((name) => [name, arrays.get(name)!]));
  }

  /** The training conversations as rows of seqLen + 1 tokens, short ones packed (Best-Fit Decreasing). */
  function trainRows(seqLen: number): PackedRow[] {
    let rows = rowsBySeqLen.get(seqLen);
    if (rows === undefined) {
      rows = packRows(
        train.map((c) => renderChat(c, tokenizer, { maxTokens: seqLen + 1 })),
        { seqLen, pack: true },
      );
      rowsBySeqLen.set(seqLen, rows);
    }
    return rows;
  }

  function testBatches(seqLen: number): Batch[] {
    let batches = testBySeqLen.get(seqLen);
    if (batches === undefined) {
      batches = makeBatches(
        test.map((c) => renderChat(c, tokenizer, { maxTokens: seqLen + 1 })),
        { batchSize: EVALUATION_BATCH_SIZE, seqLen, padId: tokenizer.specials.pad, pack: false },
      );
      testBySeqLen.set(seqLen, batches);
    }
    return batches;
  }

  function trainerFor(recipe: FlLoraRecipe, adapter: ParameterSet): Promise<Trainer<Batch>> {
    const proximal = recipe.proximalMu > 0;
    const { lora } = recipe;
    const key = [
      lora.r,
      lora.alpha,
      lora.dropout,
      lora.targetModules,
      recipe.batchSize,
      recipe.seqLen,
      proximal,
    ]
      .map(String)
      .join(":");
    let trainer = trainers.get(key);
    if (trainer === undefined) {
      trainer = Trainer.create(
        languageModelTask(config, base, {
          batchSize: recipe.batchSize,
          seqLen: recipe.seqLen,
          lora: { config: lora, adapter, seed: recipe.seed },
        }),
        {
          optimizer: adamw(),
          schedule: { peak: recipe.learningRate },
          clipNorm: CLIP_NORM,
          ...(proximal ? { proximal: { mu: recipe.proximalMu } } : {}),
        },
      );
      trainers.set(key, trainer);
    }
    return trainer;
  }

  return {
    trainConversations: train.length,
    testConversations: test.length,

    async train(message: Message) {
      const recipe = recipeOf(message);
      const adapter = checkArrays(message.arrays, recipe, "training");
      const trainer = await trainerFor(recipe, adapter);
      // A fresh optimizer from the received adapter (reset also moves FedProx's anchor to it).
      trainer.reset(adapter);
      trainer.options.schedule.peak = recipe.learningRate;
      if (trainer.proximalMu !== undefined) trainer.setProximalMu(recipe.proximalMu);
      const rows = trainRows(recipe.seqLen);
      const b = recipe.batchSize;
      const perEpoch = Math.ceil(rows.length / b);
      const steps = recipe.localSteps > 0 ? recipe.localSteps : recipe.localEpochs * perEpoch;
      let lossSum = 0;
      let firstLoss = 0;
      let order: number[] = [];
      for (let step = 0; step < steps; step++) {
        const epoch = Math.floor(step / perEpoch);
        const within = step % perEpoch;
        // A seeded order per round and epoch; the last batch wraps to the epoch's first rows, so a participant
        // with fewer rows than a batch still takes full steps.
        if (within === 0)
          order = epochPermutation(rows.length, mixSeed(recipe.seed, seed, message.round), epoch);
        const chunk = Array.from({ length: b }, (_, j) => rows[order[(within * b + j) % rows.length]!]!);
        const result = await trainer.trainStep([rowsToBatch(chunk, recipe.seqLen, tokenizer.specials.pad)]);
        if (step === 0) firstLoss = result.loss;
        lossSum += result.loss;
      }
      const params = trainer.parameters();
      // The update keeps the order of the arrays it was sent (what the coordinator aggregates by).
      const updated = new Map([...message.arrays!.keys()].map((name) => [name, params.get(name)!]));
      return {
        arrays: updated,
        numExamples: train.length,
        metrics: { "train-loss": lossSum / Math.max(steps, 1), "train-loss-first-step": firstLoss, steps },
      };
    },

    async evaluate(message: Message): Promise<Evaluation> {
      const recipe = recipeOf(message);
      const adapter = checkArrays(message.arrays, recipe, "evaluation");
      const metrics = await evaluateLanguageModel(config, base, testBatches(recipe.seqLen), {
        lora: { config: { ...recipe.lora, dropout: 0 }, adapter },
      });
      return {
        numExamples: test.length,
        metrics: { loss: metrics.bpc, bpc: metrics.bpc, nll: metrics.loss, tokens: metrics.tokens },
      };
    },

    async prepare() {
      const placeholder = initLoraParameters(config, taskRecipe.lora, createRng(taskRecipe.seed));
      await trainerFor(taskRecipe, placeholder);
    },

    async release() {
      for (const trainer of trainers.values()) await (await trainer).release();
      trainers.clear();
    },
  };
}
