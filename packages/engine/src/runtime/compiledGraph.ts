import { EngineError } from "@flock/core";
import type { Graph } from "../graph/graph.ts";
import { exportOnnx, type OnnxModel } from "../onnx/exportOnnx.ts";
import { ort } from "./ortTypes.ts";

/** How a compiled graph runs. */
export interface RuntimeOptions {
  /** Intra-op threads (default 1). Evaluation results are bit-identical for any count; see README. */
  threads?: number;
}

/** Map an ONNX Runtime failure to an EngineError naming the op and the line of our code that built it. */
export function mapRuntimeError(error: unknown, model: OnnxModel, graphName: string): EngineError {
  const message = error instanceof Error ? error.message : String(error);
  const nodeName = /name\s*:?\s*'([^']+)'/i.exec(message)?.[1];
  const source = nodeName ? model.sourceMap[nodeName] : undefined;
  const where = nodeName ? ` in node ${nodeName}${source ? ` made by ${source}` : ""}` : "";
  return new EngineError(
    "ENGINE_RUNTIME_FAILED",
    `ONNX Runtime failed running ${graphName}${where}: ${message}`,
    {
      hint: source
        ? `look at ${source}: the shapes or dtypes fed to that op are wrong`
        : "check the feeds' shapes and dtypes",
      details: { node: nodeName, source, graph: graphName },
      cause: error,
    },
  );
}

/**
 * One graph compiled into one ONNX Runtime session. `run` accepts pre-allocated output tensors (`fetches`)
 * so that a training loop allocates no new arrays per step: ORT writes into the given buffers.
 */
export class CompiledGraph {
  readonly name: string;
  readonly model: OnnxModel;
  readonly session: ort.InferenceSession;

  private constructor(name: string, model: OnnxModel, session: ort.InferenceSession) {
    this.name = name;
    this.model = model;
    this.session = session;
  }

  /** Export a graph to ONNX and open a session on it. */
  static async compile(graph: Graph, options: RuntimeOptions = {}): Promise<CompiledGraph> {
    const model = exportOnnx(graph);
    return CompiledGraph.load(graph.name, model, options);
  }

  /** Open a session on an exported model. */
  static async load(name: string, model: OnnxModel, options: RuntimeOptions = {}): Promise<CompiledGraph> {
    try {
      const session = await ort.InferenceSession.create(model.bytes, {
        intraOpNumThreads: options.threads ?? 1,
        interOpNumThreads: 1,
        executionMode: "sequential",
        graphOptimizationLevel: "all",
      });
      return new CompiledGraph(name, model, session);
    } catch (error) {
      throw mapRuntimeError(error, model, name);
    }
  }

  /** Run with named feeds; outputs go into `fetches` when given (pre-allocated), else are allocated by ORT. */
  async run(
    feeds: Record<string, ort.Tensor>,
    fetches?: Record<string, ort.Tensor>,
  ): Promise<Record<string, ort.Tensor>> {
    try {
      if (fetches) {
        await this.session.run(feeds, fetches);
        return fetches;
      }
      return await this.session.run(feeds);
    } catch (error) {
      throw mapRuntimeError(error, this.model, this.name);
    }
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
