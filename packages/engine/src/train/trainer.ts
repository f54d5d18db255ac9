import { EngineError } from "@flock/core";
import type { TensorData } from "../io/tensor.ts";
import type { ParameterSet } from "../nn/parameters.ts";
import { adamw } from "../optim/adamw.ts";
import type { Optimizer } from "../optim/optimizer.ts";
import { learningRate, type ScheduleOptions } from "../optim/schedule.ts";
import { CompiledGraph } from "../runtime/compiledGraph.ts";
import { allocate, type HostArray, type ort, ortTensor } from "../runtime/ortTypes.ts";
import { anchorName, PROXIMAL_MU, type ProximalOptions } from "./proximal.ts";
import { accumulatorName, buildStepGraph, nextName, slotName } from "./trainGraph.ts";
import type { TrainingTask } from "./trainingTask.ts";

export interface TrainerOptions {
  optimizer?: Optimizer;
  schedule: ScheduleOptions;
  /** Clip gradients to this global L2 norm (default: no clipping). */
  clipNorm?: number;
  /** Micro-batches per optimizer step (default 1: one fused graph). */
  accumulation?: number;
  /** ONNX Runtime intra-op threads (default 1). */
  threads?: number;
  /**
   * Add FedProx's proximal term μ/2·‖w − w_anchor‖² to the minimized loss, anchored to the trainable weights
   * the trainer starts from (at construction, and at each `reset`). μ can change later (`setProximalMu`).
   */
  proximal?: ProximalOptions;
}

/** Result of one optimizer step. */
export interface StepResult {
  step: number;
  /** Mean of the micro-batch losses. */
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  lr: number;
}

/** Everything needed to continue training exactly: weights, optimizer state and the step counter. */
export interface TrainerState {
  step: number;
  tensors: Record<string, TensorData>;
}

/** A value updated every step: two host buffers, read from one and written to the other (ping-pong). */
interface PingPong {
  shape: number[];
  host: [Float32Array, Float32Array];
  ort: [ort.Tensor, ort.Tensor];
}

function pingPong(shape: number[], init?: Float32Array): PingPong {
  const size = shape.reduce((a, b) => a * b, 1);
  const host: [Float32Array, Float32Array] = [new Float32Array(size), new Float32Array(size)];
  if (init) host[0].set(init);
  return { shape, host, ort: [ortTensor("float32", host[0], shape), ortTensor("float32", host[1], shape)] };
}

/**
 * Trains a task with one compiled ONNX graph per step kind. All buffers (weights, optimizer state, data,
 * outputs) are allocated once; each step feeds one half of the ping-pong buffers and ORT writes the new
 * values into the other half, so a training step allocates no arrays or tensors in JavaScript.
 */
export class Trainer<Item> {
  readonly task: TrainingTask<Item>;
  readonly optimizer: Optimizer;
  readonly options: TrainerOptions;
  /** Optimizer steps taken. */
  step = 0;
  private weightParity: 0 | 1 = 0;
  private accParity: 0 | 1 = 0;
  private readonly params = new Map<string, PingPong>();
  private readonly state = new Map<string, PingPong>();
  private readonly accumulators = new Map<string, PingPong>();
  private readonly frozen = new Map<string, ort.Tensor>();
  /** The proximal term's anchor per trainable weight (host buffer and its tensor), when enabled. */
  private readonly anchors = new Map<string, { host: Float32Array; tensor: ort.Tensor }>();
  private readonly data: Record<string, HostArray> = {};
  private readonly dataTensors: Record<string, ort.Tensor> = {};
  private readonly scalars: Record<string, Float32Array> = {};
  private readonly scalarTensors: Record<string, ort.Tensor> = {};
  private readonly lossOut = new Float32Array(1);
  private readonly normOut = new Float32Array(1);
  private readonly graphs: { fused?: CompiledGraph; accumulate?: CompiledGraph; apply?: CompiledGraph } = {};
  /** Feeds and fetches per graph kind and parity combination, built once. */
  private readonly bindings = new Map<
    string,
    { feeds: Record<string, ort.Tensor>; fetches: Record<string, ort.Tensor> }
  >();

  private constructor(task: TrainingTask<Item>, options: TrainerOptions) {
    this.task = task;
    this.options = options;
    this.optimizer = options.optimizer ?? adamw();
    for (const [name, p] of task.trainable) {
      this.params.set(name, pingPong(p.shape, p.data));
      for (const slot of this.optimizer.slots) this.state.set(slotName(slot, name), pingPong(p.shape));
      if ((options.accumulation ?? 1) > 1) this.accumulators.set(accumulatorName(name), pingPong(p.shape));
    }
    for (const [name, p] of task.frozen) this.frozen.set(name, ortTensor("float32", p.data, p.shape));
    if (options.proximal) {
      const mu = checkMu(options.proximal.mu);
      for (const [name, p] of task.trainable) {
        const host = Float32Array.from(p.data);
        this.anchors.set(anchorName(name), { host, tensor: ortTensor("float32", host, p.shape) });
      }
      this.scalars[PROXIMAL_MU] = Float32Array.of(mu);
      this.scalarTensors[PROXIMAL_MU] = ortTensor("float32", this.scalars[PROXIMAL_MU], []);
    }
    for (const d of task.dataInputs) {
      this.data[d.name] = allocate(
        d.dtype,
        d.shape.reduce((a, b) => a * b, 1),
      );
      this.dataTensors[d.name] = ortTensor(d.dtype, this.data[d.name]!, d.shape);
    }
    for (const name of this.optimizer.scalarNames) {
      this.scalars[name] = new Float32Array(1);
      this.scalarTensors[name] = ortTensor("float32", this.scalars[name]!, []);
    }
  }

  /** Compile the step graphs of a task (and restore a saved state when given). */
  static async create<Item>(
    task: TrainingTask<Item>,
    options: TrainerOptions,
    resume?: TrainerState,
  ): Promise<Trainer<Item>> {
    const trainer = new Trainer(task, options);
    const optimizer = trainer.optimizer;
    const threads = options.threads ?? 1;
    const k = options.accumulation ?? 1;
    const common = {
      optimizer,
      clipNorm: options.clipNorm,
      accumulation: k,
      proximal: options.proximal !== undefined,
    };
    const asUnknown = task as TrainingTask<unknown>;
    if (k === 1) {
      trainer.graphs.fused = await CompiledGraph.compile(
        buildStepGraph(asUnknown, { ...common, mode: "fused" }),
        { threads },
      );
    } else {
      trainer.graphs.accumulate = await CompiledGraph.compile(
        buildStepGraph(asUnknown, { ...common, mode: "accumulate" }),
        { threads },
      );
      trainer.graphs.apply = await CompiledGraph.compile(
        buildStepGraph(asUnknown, { ...common, mode: "apply" }),
        { threads },
      );
    }
    for (const [kind, graph] of Object.entries(trainer.graphs)) trainer.prepare(kind, graph);
    if (resume) trainer.restore(resume);
    return trainer;
  }

  /**
   * Build the feed/fetch objects of a compiled graph once, for each combination of the weights' parity
   * (parameters and optimizer state) and the accumulators' parity: a graph reads the current half of each
   * buffer and writes the other half of what it updates.
   */
  private prepare(kind: string, graph: CompiledGraph): void {
    for (const weightParity of [0, 1] as const) {
      for (const accParity of [0, 1] as const) {
        const lookup = (name: string): ort.Tensor | undefined =>
          this.params.get(name)?.ort[weightParity] ??
          this.state.get(name)?.ort[weightParity] ??
          this.accumulators.get(name)?.ort[accParity] ??
          this.frozen.get(name) ??
          this.anchors.get(name)?.tensor ??
          this.dataTensors[name] ??
          this.scalarTensors[name];
        const feeds: Record<string, ort.Tensor> = {};
        for (const input of graph.model.inputs) {
          const t = lookup(input.name);
          if (!t) {
            throw new EngineError("TRAINER_UNBOUND_INPUT", `no buffer for graph input ${input.name}`, {
              hint: "check the task: every graph input must be a parameter, state, data or scalar input",
            });
          }
          feeds[input.name] = t;
        }
        const fetches: Record<string, ort.Tensor> = {};
        for (const output of graph.model.outputs) {
          if (output.name === "loss") fetches.loss = ortTensor("float32", this.lossOut, []);
          else if (output.name === "gradNorm") fetches.gradNorm = ortTensor("float32", this.normOut, []);
          else {
            const base = output.name.slice(nextName("").length);
            const weight = this.params.get(base) ?? this.state.get(base);
            const target = weight?.ort[1 - weightParity] ?? this.accumulators.get(base)?.ort[1 - accParity];
            if (!target) {
              throw new EngineError("TRAINER_UNBOUND_OUTPUT", `no buffer for graph output ${output.name}`, {
                hint: "check the task: every graph output must update a parameter, state or accumulator",
              });
            }
            fetches[output.name] = target;
          }
        }
        this.bindings.set(`${kind}:${weightParity}${accParity}`, { feeds, fetches });
      }
    }
  }

  /** Run a step graph; flip the parity of what it wrote (no copies: the other half holds the new values). */
  private async runGraph(kind: "fused" | "accumulate" | "apply"): Promise<void> {
    const binding = this.bindings.get(`${kind}:${this.weightParity}${this.accParity}`)!;
    await this.graphs[kind]!.run(binding.feeds, binding.fetches);
    if (kind === "accumulate") this.accParity = this.accParity === 0 ? 1 : 0;
    else this.weightParity = this.weightParity === 0 ? 1 : 0;
  }

  /** One optimizer step over `items` (as many as the accumulation count). */
  async trainStep(items: readonly Item[]): Promise<StepResult> {
    const k = this.options.accumulation ?? 1;
    if (items.length !== k) {
      throw new EngineError(
        "TRAINER_BAD_MICROBATCHES",
        `a step takes ${k} micro-batches, got ${items.length}`,
        {
          hint: "pass exactly `accumulation` items per step",
        },
      );
    }
    const step = this.step + 1;
    const lr = learningRate(step, this.options.schedule);
    const values = this.optimizer.scalars(step, lr);
    for (const [name, v] of Object.entries(values)) this.scalars[name]![0] = v;
    let lossSum = 0;
    if (k === 1) {
      this.task.fill(items[0]!, this.data, this.step);
      await this.runGraph("fused");
      lossSum = this.lossOut[0]!;
    } else {
      for (const acc of this.accumulators.values()) acc.host[this.accParity].fill(0);
      for (const [i, item] of items.entries()) {
        this.task.fill(item, this.data, this.step * k + i);
        await this.runGraph("accumulate");
        lossSum += this.lossOut[0]!;
      }
      await this.runGraph("apply");
    }
    this.step = step;
    return { step, loss: lossSum / k, gradNorm: this.normOut[0]!, lr };
  }

  /** Current trainable weights (copies). */
  parameters(): ParameterSet {
    return new Map(
      [...this.params].map(([name, buf]) => [
        name,
        { shape: [...buf.shape], data: Float32Array.from(buf.host[this.weightParity]) },
      ]),
    );
  }

  /**
   * Start over from `params` with a fresh optimizer (zero state, step 0), reusing the compiled graphs and
   * buffers: how one trainer serves many federated clients in turn. `params` must have the task's names
   * and sizes. With a proximal term, `params` also become its anchor.
   */
  reset(params: ReadonlyMap<string, { data: Float32Array }>): void {
    for (const [name, buf] of this.params) {
      const p = params.get(name);
      if (!p || p.data.length !== buf.host[0].length) {
        throw new EngineError(
          "TRAINER_RESET_MISMATCH",
          `no parameter ${name} of ${buf.host[0].length} values to reset to`,
          {
            hint: "reset with the parameters of the model this trainer was built for",
          },
        );
      }
      buf.host[this.weightParity].set(p.data);
      this.anchors.get(anchorName(name))?.host.set(p.data);
    }
    for (const buf of this.state.values()) buf.host[this.weightParity].fill(0);
    this.step = 0;
  }

  /** The proximal coefficient μ in use (undefined without a proximal term). */
  get proximalMu(): number | undefined {
    return this.scalars[PROXIMAL_MU]?.[0];
  }

  /**
   * Change the proximal coefficient μ (e.g. to the `proximal-mu` a FedProx server sends each round) without
   * recompiling. The trainer must have been created with `proximal`.
   */
  setProximalMu(mu: number): void {
    const buffer = this.scalars[PROXIMAL_MU];
    if (!buffer) {
      throw new EngineError("TRAINER_NO_PROXIMAL", "this trainer was built without a proximal term", {
        hint: "create the trainer with `proximal: { mu: 0 }` to set μ later",
      });
    }
    buffer[0] = checkMu(mu);
  }

  /** Weights, optimizer state and step, for a checkpoint. */
  saveState(): TrainerState {
    const tensors: Record<string, TensorData> = {};
    for (const group of [this.params, this.state]) {
      for (const [name, buf] of group)
        tensors[name] = {
          dtype: "F32",
          shape: [...buf.shape],
          data: Float32Array.from(buf.host[this.weightParity]),
        };
    }
    return { step: this.step, tensors };
  }

  private restore(saved: TrainerState): void {
    for (const group of [this.params, this.state]) {
      for (const [name, buf] of group) {
        const t = saved.tensors[name];
        if (!t || t.data.length !== buf.host[0].length) {
          throw new EngineError("CHECKPOINT_MISMATCH", `checkpoint has no matching tensor ${name}`, {
            hint: "resume with the same model, adapter and optimizer settings the checkpoint was written with",
          });
        }
        buf.host[this.weightParity].set(t.data as Float32Array);
      }
    }
    this.step = saved.step;
  }

  /** Release the ONNX Runtime sessions. */
  async release(): Promise<void> {
    for (const graph of Object.values(this.graphs)) await graph?.release();
  }
}

function checkMu(mu: number): number {
  if (!(mu >= 0 && Number.isFinite(mu))) {
    throw new EngineError(
      "TRAINER_PROXIMAL_INVALID",
      `the proximal coefficient μ must be finite and ≥ 0, got ${mu}`,
      {
        hint: "use μ ≥ 0 (0 trains without the proximal term's pull)",
      },
    );
  }
  return mu;
}
