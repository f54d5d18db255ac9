/**
 * Secure aggregation: SecAgg+ (Bell et al. 2020, on Bonawitz et al. 2017) as a wrapper of a linear strategy,
 * its node side, the cost measurement for the benchmark, and the simulation helpers its tests use. The
 * primitives (Shamir, X25519/AES, encoding) stay internal to this folder.
 */
export { type SecAggCost, type SecAggCostOptions, secAggCost } from "./cost.ts";
export {
  harary,
  type NeighbourhoodOptions,
  type NeighbourhoodParameters,
  neighbourhoodParameters,
} from "./graph.ts";
export { type SecAggPlusNodeOptions, secAggPlusNode } from "./node.ts";
export { bodyBytes, type SecAggStage } from "./protocol.ts";
export { DEFAULT_QUANTIZATION, type QuantizationParameters } from "./quantize.ts";
export {
  SecAggPlus,
  type SecAggPlusOptions,
  type SecAggRejection,
  type SecAggRoundReport,
} from "./secAggPlus.ts";
export { type DropoutPoint, droppingNode, RecordingGrid } from "./simulation.ts";
