import type { ResolvedOptions } from "./options.ts";

/** One client's contribution value (summed over rounds for run totals), and whether it was Byzantine. */
export interface ContributionEntry {
  readonly nodeId: string;
  readonly value: number;
  readonly byzantine: boolean;
}

/** The best and worst contributors. */
export interface ContributionSummary {
  readonly top: readonly ContributionEntry[];
  readonly bottom: readonly ContributionEntry[];
}

/** One round of one strategy. */
export interface SimulationRound {
  readonly round: number;
  /** The new global model on the test split. */
  readonly accuracy: number;
  readonly loss: number;
  /** The example-weighted mean of the clients' training losses. */
  readonly trainLoss?: number;
  /** Cumulative ε of a differentially private strategy (the `epsilon` it reports in its training metrics). */
  readonly epsilon?: number;
  readonly sampled: number;
  /** Updates the strategy received, Byzantine ones among them. */
  readonly updates: number;
  readonly byzantine: number;
  readonly dropouts: number;
  readonly stragglers: number;
  readonly contribution?: ContributionSummary;
  /** The round failed (secure aggregation lost too many clients, …) and kept the previous model. */
  readonly failed?: { readonly code: string; readonly message: string };
  /** Wall-clock time of the round (not deterministic: left out when comparing runs). */
  readonly durationMs: number;
}

/** One strategy's whole run. */
export interface StrategyRun {
  readonly strategy: string;
  /** The initial model on the test split (round 0). */
  readonly initial: { readonly accuracy: number; readonly loss: number };
  readonly rounds: readonly SimulationRound[];
  readonly final: { readonly accuracy: number; readonly loss: number };
  readonly best: { readonly accuracy: number; readonly round: number };
  /** The first round whose accuracy reached the target (null: never). */
  readonly reachedTarget: number | null;
  /** Contribution totals over the run, when asked. */
  readonly contribution?: ContributionSummary;
  readonly clientsTrained: number;
  /** Wall-clock figures (not deterministic). */
  readonly durationMs: number;
  readonly clientsPerSecond: number;
}

/** What `simulate` returns: plain data (JSON-serializable), the options it ran with and every run. */
export interface SimulationResult {
  readonly options: Omit<ResolvedOptions, "strategies"> & {
    readonly strategies: readonly { readonly name: string; readonly label: string }[];
  };
  readonly dataset: {
    readonly name: string;
    readonly trainRows: number;
    readonly testRows: number;
    readonly numFeatures: number;
    readonly numClasses: number;
  };
  readonly model: { readonly hidden: readonly number[]; readonly parameters: number };
  readonly population: {
    readonly clients: number;
    /** Disjoint partitions (true) or rows sampled with replacement (large populations). */
    readonly exact: boolean;
    readonly byzantine: number;
  };
  /** The same model trained centrally on all training rows, when asked. */
  readonly centralized?: { readonly epochs: number; readonly accuracy: number; readonly loss: number };
  readonly strategies: readonly StrategyRun[];
  readonly threads: number;
  /** Peak resident set size of the process so far (its lifetime maximum), in bytes (not deterministic). */
  readonly peakRssBytes: number;
}
