/** Secure aggregation: SecAgg+ (Bell et al. 2020) as a wrapper of a linear strategy, and its node side. */
export * from "./cost.ts";
export * from "./crypto.ts";
export * from "./graph.ts";
export * from "./node.ts";
export * from "./protocol.ts";
export * from "./quantize.ts";
export * from "./secAggPlus.ts";
export * from "./shamir.ts";
export * from "./simulation.ts";
