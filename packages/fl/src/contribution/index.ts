/** Contribution value of clients' updates: leave-one-out, GTG-Shapley and the exact Shapley value. */
export * from "./coalition.ts";
export * from "./contributionCoalitions.ts";
export * from "./exactShapley.ts";
export * from "./fedAvgUtility.ts";
export * from "./gtgShapley.ts";
export * from "./leaveOneOut.ts";
export * from "./payContributions.ts";
export * from "./roundContribution.ts";
export * from "./utility.ts";
export * from "./values.ts";
export * from "./votedContributions.ts";
