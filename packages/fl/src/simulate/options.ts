import { availableParallelism } from "node:os";
import { ValidationError } from "@flock/core";
import type { ContributionMethod, GtgShapleyOptions } from "../contribution/index.ts";
import type { SecAggPlusOptions } from "../secagg/index.ts";
import type { FedAvgOptions } from "../strategies/fedAvg.ts";
import { STRATEGIES } from "../strategies/registry.ts";
import type { Strategy } from "../strategy.ts";
import type { LocalTraining } from "./clientTraining.ts";
import { DATASET_NAMES, type DatasetName } from "./datasets.ts";
import type { LabelSkew, QuantitySkew } from "./partition.ts";
import type { ByzantineOptions, StragglerOptions } from "./population.ts";
import type { SimulationDp } from "./privacy.ts";

/**
 * A strategy to simulate: a name of the `STRATEGIES` registry with extra constructor options (e.g.
 * `{ name: "krum", options: { numMaliciousNodes: 2 } }`), or any strategy built from the simulation's
 * common options (`build`, e.g. a strategy wrapped in differential privacy). `label` names it in results.
 */
export interface StrategySpec {
  readonly name: string;
  readonly label?: string;
  readonly options?: Readonly<Record<string, number | string | boolean>>;
  readonly build?: (common: FedAvgOptions) => Strategy;
}

/** Everything a simulation does; every field has a default (a digits run of FedAvg). */
export interface SimulationOptions {
  /** Default "digits". */
  readonly dataset?: DatasetName;
  /** Hidden layer widths of the MLP (default [32]; [] is softmax regression). */
  readonly hidden?: readonly number[];
  /** Population size (default 100). */
  readonly clients?: number;
  /** Clients sampled per round (default 10). */
  readonly clientsPerRound?: number;
  /** Default 50. */
  readonly rounds?: number;
  /** Default ["fedavg"]; several run side by side on the same population, seed and samples. */
  readonly strategies?: readonly (string | StrategySpec)[];
  /** Default Dirichlet α = 0.5 over labels, equal sizes. */
  readonly partition?: {
    readonly labels?: LabelSkew;
    readonly quantity?: QuantitySkew;
    readonly examplesPerClient?: number;
  };
  /** Local training (default 5 epochs of SGD, batch 4, lr 0.1); sent as the round config. */
  readonly training?: Partial<LocalTraining>;
  /** Probability a sampled client drops out of a round (default 0). */
  readonly dropout?: number;
  readonly stragglers?: StragglerOptions;
  readonly byzantine?: ByzantineOptions;
  /** Central differential privacy around every strategy; each round then reports ε. */
  readonly dp?: SimulationDp;
  /**
   * SecAgg+ around every strategy (linear ones: FedAvg, FedProx, FedAvgM, FedAdam, FedYogi, FedAdagrad), the
   * server seeing only the masked sum; `true` takes the protocol's defaults. Inside a DP wrapper when both
   * are asked (client-side clipping only).
   */
  readonly secureAggregation?: boolean | Omit<SecAggPlusOptions, "graphSeed">;
  /** Contribution value of every round's updates, with the top and bottom `top` clients reported. */
  readonly contribution?: {
    readonly method?: ContributionMethod;
    /** How many of the best and worst clients to report (default 3). */
    readonly top?: number;
    readonly gtg?: GtgShapleyOptions;
  };
  /** Also train the same model centrally on all training rows (default: no; true: 20 epochs). */
  readonly centralized?: boolean | { readonly epochs?: number };
  /** Report the first round reaching this test accuracy (default 0.95). */
  readonly targetAccuracy?: number;
  /** Default 0. Same seed, same options: the same result, bit for bit. */
  readonly seed?: number;
  /** Training threads (default os.availableParallelism(); 0 trains in the calling thread). */
  readonly workers?: number;
}

/** Options with every default filled in (what a result records). */
export interface ResolvedOptions {
  readonly dataset: DatasetName;
  readonly hidden: readonly number[];
  readonly clients: number;
  readonly clientsPerRound: number;
  readonly rounds: number;
  readonly strategies: readonly StrategySpec[];
  readonly partition: {
    readonly labels: LabelSkew;
    readonly quantity: QuantitySkew;
    readonly examplesPerClient?: number;
  };
  readonly training: LocalTraining;
  readonly dropout: number;
  readonly stragglers?: StragglerOptions;
  readonly byzantine?: ByzantineOptions;
  readonly dp?: SimulationDp;
  readonly secureAggregation?: Omit<SecAggPlusOptions, "graphSeed">;
  readonly contribution?: {
    readonly method: ContributionMethod;
    readonly top: number;
    readonly gtg?: GtgShapleyOptions;
  };
  readonly centralized?: { readonly epochs: number };
  readonly targetAccuracy: number;
  readonly seed: number;
  readonly workers: number;
}

const wholeAtLeast = (name: string, value: number, min: number): number => {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new ValidationError("FL_OPTION_INVALID", `${name} must be a whole number ≥ ${min}, got ${value}`, {
      hint: `set ${name} to a whole number ≥ ${min}`,
    });
  }
  return value;
};

/** Fills in defaults and checks every option, naming the first bad one. */
export function resolveOptions(options: SimulationOptions): ResolvedOptions {
  const dataset = options.dataset ?? "digits";
  if (!(DATASET_NAMES as readonly string[]).includes(dataset)) {
    throw new ValidationError("FL_DATASET_UNKNOWN", `no shipped dataset named ${dataset}`, {
      hint: `choose one of ${DATASET_NAMES.join(", ")}`,
    });
  }
  const clients = wholeAtLeast("clients", options.clients ?? 100, 1);
  const clientsPerRound = wholeAtLeast(
    "clientsPerRound",
    options.clientsPerRound ?? Math.min(10, clients),
    1,
  );
  if (clientsPerRound > clients) {
    throw new ValidationError(
      "FL_OPTION_INVALID",
      `${clientsPerRound} clients per round from a population of ${clients}`,
      {
        hint: "sample at most the population",
      },
    );
  }
  const strategies = (options.strategies ?? ["fedavg"]).map((s) => (typeof s === "string" ? { name: s } : s));
  if (strategies.length === 0) {
    throw new ValidationError("FL_OPTION_INVALID", "no strategy to simulate", {
      hint: "name at least one strategy",
    });
  }
  for (const s of strategies) {
    if (!s.build && !STRATEGIES[s.name]) {
      throw new ValidationError("FL_STRATEGY_UNKNOWN", `no strategy named ${s.name}`, {
        hint: `choose one of ${Object.keys(STRATEGIES).join(", ")}`,
      });
    }
  }
  const labels = new Set<string>();
  for (const s of strategies) {
    const label = s.label ?? s.name;
    if (labels.has(label)) {
      throw new ValidationError("FL_OPTION_INVALID", `two strategies are labelled ${label}`, {
        hint: "give each run of the same strategy its own label",
      });
    }
    labels.add(label);
  }
  const t = options.training ?? {};
  const training: LocalTraining = {
    epochs: wholeAtLeast("training.epochs", t.epochs ?? 5, 1),
    batchSize: wholeAtLeast("training.batchSize", t.batchSize ?? 4, 1),
    lr: t.lr ?? 0.1,
    ...(t.momentum === undefined ? {} : { momentum: t.momentum }),
    ...(t.proximalMu === undefined ? {} : { proximalMu: t.proximalMu }),
  };
  if (!(training.lr > 0))
    throw new ValidationError("FL_OPTION_INVALID", `training.lr must be > 0, got ${training.lr}`);
  if (options.secureAggregation && options.byzantine?.attack === "alie") {
    throw new ValidationError(
      "FL_OPTION_INVALID",
      "a little is enough needs the benign updates, which secure aggregation hides",
      {
        hint: "use another attack with secure aggregation, or turn secure aggregation off",
      },
    );
  }
  if (options.secureAggregation && options.contribution) {
    throw new ValidationError(
      "FL_OPTION_INVALID",
      "contribution value needs each update, which secure aggregation hides",
      {
        hint: "turn contribution or secure aggregation off",
      },
    );
  }
  const c = options.contribution;
  const central = options.centralized;
  const targetAccuracy = options.targetAccuracy ?? 0.95;
  return {
    dataset,
    hidden: [...(options.hidden ?? [32])],
    clients,
    clientsPerRound,
    rounds: wholeAtLeast("rounds", options.rounds ?? 50, 1),
    strategies,
    partition: {
      labels: options.partition?.labels ?? { kind: "dirichlet", alpha: 0.5 },
      quantity: options.partition?.quantity ?? { kind: "equal" },
      ...(options.partition?.examplesPerClient === undefined
        ? {}
        : { examplesPerClient: options.partition.examplesPerClient }),
    },
    training,
    dropout: options.dropout ?? 0,
    ...(options.stragglers ? { stragglers: options.stragglers } : {}),
    ...(options.byzantine ? { byzantine: options.byzantine } : {}),
    ...(options.dp ? { dp: options.dp } : {}),
    ...(options.secureAggregation
      ? { secureAggregation: options.secureAggregation === true ? {} : options.secureAggregation }
      : {}),
    ...(c
      ? {
          contribution: {
            method: c.method ?? "gtg-shapley",
            top: wholeAtLeast("contribution.top", c.top ?? 3, 1),
            ...(c.gtg ? { gtg: c.gtg } : {}),
          },
        }
      : {}),
    ...(central
      ? {
          centralized: {
            epochs: wholeAtLeast(
              "centralized.epochs",
              (central === true ? undefined : central.epochs) ?? 20,
              1,
            ),
          },
        }
      : {}),
    targetAccuracy,
    seed: options.seed ?? 0,
    workers: wholeAtLeast("workers", options.workers ?? availableParallelism(), 0),
  };
}
