import { Graph } from "../graph/graph.ts";
import type { ParameterSet } from "../nn/parameters.ts";
import { type TabularMlpConfig, tabularMlpForward } from "../nn/tabularMlp.ts";
import { CompiledGraph } from "../runtime/compiledGraph.ts";
import { ortTensor } from "../runtime/ortTypes.ts";

/** Classifier metrics: accuracy and mean log-loss (nats). */
export interface ClassifierMetrics {
  accuracy: number;
  logLoss: number;
}

/** Regressor metric: root mean squared error. */
export interface RegressorMetrics {
  rmse: number;
}

/** An MLP's outputs for all rows at once, through a graph with a symbolic batch dimension. */
async function predict(
  config: TabularMlpConfig,
  params: ParameterSet,
  x: Float32Array,
  rows: number,
  threads: number,
): Promise<Float32Array> {
  const g = new Graph(`tabular-${config.kind}-eval`);
  const weights = new Map([...params].map(([name, p]) => [name, g.input(name, "float32", p.shape)]));
  const features = g.input("features", "float32", ["batch", config.numFeatures]);
  const out = tabularMlpForward(config, weights, features);
  g.output("out", config.kind === "classifier" ? out.logSoftmax(-1) : out);
  const compiled = await CompiledGraph.compile(g, { threads });
  try {
    const feeds = Object.fromEntries(
      [...params].map(([name, p]) => [name, ortTensor("float32", p.data, p.shape)]),
    );
    feeds.features = ortTensor("float32", x, [rows, config.numFeatures]);
    const result = await compiled.run(feeds);
    return result.out!.data as Float32Array;
  } finally {
    await compiled.release();
  }
}

/** Accuracy and log-loss of a classifier on labelled rows (sums in float64, fixed order). */
export async function evaluateClassifier(
  config: TabularMlpConfig,
  params: ParameterSet,
  split: { rows: number; x: Float32Array; y: Int32Array },
  threads = 1,
): Promise<ClassifierMetrics> {
  const logp = await predict(config, params, split.x, split.rows, threads);
  const classes = config.numClasses ?? 2;
  let correct = 0;
  let nll = 0;
  for (let r = 0; r < split.rows; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logp[r * classes + c]! > logp[r * classes + best]!) best = c;
    if (best === split.y[r]) correct++;
    nll -= logp[r * classes + split.y[r]!]!;
  }
  return { accuracy: correct / split.rows, logLoss: nll / split.rows };
}

/** RMSE of a regressor on rows with targets. */
export async function evaluateRegressor(
  config: TabularMlpConfig,
  params: ParameterSet,
  split: { rows: number; x: Float32Array; y: Float32Array },
  threads = 1,
): Promise<RegressorMetrics> {
  const pred = await predict(config, params, split.x, split.rows, threads);
  let sq = 0;
  for (let r = 0; r < split.rows; r++) sq += (pred[r]! - split.y[r]!) ** 2;
  return { rmse: Math.sqrt(sq / split.rows) };
}
