/**
 * @flock/engine — graphs and reverse-mode autodiff in TypeScript, compiled to ONNX and run by ONNX Runtime:
 * train, evaluate and generate with small language models and tabular MLPs.
 */

// The public API, by module path.
export * from "./autodiff/gradCheck.ts";
export * from "./autodiff/gradients.ts";
export * from "./data/index.ts";
export * from "./datasets/index.ts";
export * from "./eval/chatEvaluationBatches.ts";
export * from "./eval/evaluateLanguageModel.ts";
export * from "./eval/evaluateTabular.ts";
export * from "./eval/scoreFullSubmission.ts";
export * from "./eval/scoreSubmission.ts";
export * from "./eval/scoreTabularSubmission.ts";
export * from "./generate/batchDecoder.ts";
export * from "./generate/batchedDecodeGraph.ts";
export * from "./generate/decodeGraph.ts";
export * from "./generate/generator.ts";
export * from "./generate/sampler.ts";
export * from "./graph/dim.ts";
export * from "./graph/dtype.ts";
export * from "./graph/graph.ts";
export * from "./graph/infer.ts";
export * from "./graph/opType.ts";
export * from "./io/hfFolder.ts";
export * from "./io/index.ts";
export * from "./io/onnxExport.ts";
export * from "./lora/adapterFile.ts";
export * from "./lora/adapterFiles.ts";
export * from "./lora/loraAdapter.ts";
export * from "./lora/loraConfig.ts";
export * from "./nn/attention.ts";
export * from "./nn/baseModelFile.ts";
export * from "./nn/linear.ts";
export * from "./nn/llama.ts";
export * from "./nn/llamaConfig.ts";
export * from "./nn/llamaFiles.ts";
export * from "./nn/mlp.ts";
export * from "./nn/parameters.ts";
export * from "./nn/rotary.ts";
export * from "./nn/tabularMlp.ts";
export * from "./onnx/exportOnnx.ts";
export * from "./optim/adamw.ts";
export * from "./optim/clip.ts";
export * from "./optim/optimizer.ts";
export * from "./optim/schedule.ts";
export * from "./optim/sgd.ts";
export * from "./pretrain.ts";
export * from "./reference/interpret.ts";
export type { NDArray } from "./reference/ndarray.ts";
export * from "./runtime/compiledGraph.ts";
export * from "./runtime/ortTypes.ts";
export * from "./tokenizer/index.ts";
export * from "./train/checkpoint.ts";
export * from "./train/languageModelTask.ts";
export * from "./train/proximal.ts";
export * from "./train/runTraining.ts";
export * from "./train/tabularTask.ts";
export * from "./train/trainer.ts";
export * from "./train/trainGraph.ts";
export * from "./train/trainingTask.ts";
