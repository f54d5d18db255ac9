/**
 * Differential privacy: Flower's central-DP wrappers (fixed and adaptive clipping, on the server or the
 * nodes), local DP on the nodes, CSPRNG Gaussian noise and the RDP accountant of the sampled Gaussian.
 */
export * from "./adaptiveClipping.ts";
export * from "./centralDp.ts";
export * from "./clientSideAdaptiveClipping.ts";
export * from "./clientSideFixedClipping.ts";
export * from "./clippingNodes.ts";
export * from "./clipReplies.ts";
export * from "./gaussianNoise.ts";
export * from "./localDpNode.ts";
export * from "./logMath.ts";
export * from "./noiseCalibration.ts";
export * from "./rdp.ts";
export * from "./rdpAccountant.ts";
export * from "./serverSideAdaptiveClipping.ts";
export * from "./serverSideFixedClipping.ts";
