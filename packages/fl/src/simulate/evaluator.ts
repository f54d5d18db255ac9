import { CompiledGraph, Graph, ortTensor, type TabularMlpConfig, tabularMlpForward } from "@flock/engine";
import type { Arrays } from "../arrays.ts";
import type { LabelledSplit } from "./datasets.ts";
import { modelShapes } from "./model.ts";

/** A model's quality on labelled rows: accuracy and mean cross-entropy (nats). */
export interface Quality {
  readonly accuracy: number;
  readonly loss: number;
}

/**
 * Evaluates models of one MLP shape on labelled rows with one compiled graph (symbolic batch), reused for
 * every call: the server's central evaluation each round and the many candidate aggregates contribution
 * value asks for. Sums in float64, in row order (deterministic).
 */
export class Evaluator {
  private readonly config: TabularMlpConfig;
  private readonly graph: CompiledGraph;

  private constructor(config: TabularMlpConfig, graph: CompiledGraph) {
    this.config = config;
    this.graph = graph;
  }

  static async create(config: TabularMlpConfig): Promise<Evaluator> {
    const g = new Graph(
      `simulate-eval-${config.numFeatures}-${config.hidden.join("x")}-${config.numClasses}`,
    );
    const weights = new Map(
      [...modelShapes(config)].map(([name, shape]) => [name, g.input(name, "float32", shape)]),
    );
    const features = g.input("features", "float32", ["batch", config.numFeatures]);
    g.output("logp", tabularMlpForward(config, weights, features).logSoftmax(-1));
    return new Evaluator(config, await CompiledGraph.compile(g));
  }

  /** Accuracy and loss of `arrays` on `split` (optionally only the rows listed in `rows`). */
  async evaluate(arrays: Arrays, split: LabelledSplit, rows?: Int32Array): Promise<Quality> {
    const f = this.config.numFeatures;
    const k = this.config.numClasses ?? 2;
    let x = split.x;
    let n = split.rows;
    let y: ArrayLike<number> = split.y;
    if (rows) {
      n = rows.length;
      x = new Float32Array(n * f);
      const labels = new Int32Array(n);
      rows.forEach((r, i) => {
        x.set(split.x.subarray(r * f, (r + 1) * f), i * f);
        labels[i] = split.y[r]!;
      });
      y = labels;
    }
    if (n === 0) return { accuracy: Number.NaN, loss: Number.NaN };
    const feeds: Record<string, ReturnType<typeof ortTensor>> = {};
    for (const [name, shape] of modelShapes(this.config))
      feeds[name] = ortTensor("float32", arrays.get(name)!.data, shape);
    feeds.features = ortTensor("float32", x, [n, f]);
    const logp = (await this.graph.run(feeds)).logp!.data as Float32Array;
    let correct = 0;
    let nll = 0;
    for (let r = 0; r < n; r++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (logp[r * k + c]! > logp[r * k + best]!) best = c;
      if (best === y[r]) correct++;
      nll -= logp[r * k + y[r]!]!;
    }
    return { accuracy: correct / n, loss: nll / n };
  }

  async release(): Promise<void> {
    await this.graph.release();
  }
}
