import { ValidationError } from "@flock/core";
import { isLinear, type LinearStrategy, SecAggPlus, STRATEGIES, type Strategy } from "@flock/fl";
import type { FlTerms } from "@flock/store";

/**
 * Strategies a federated task may use on the network: those whose aggregate depends on the round's updates
 * only. A server optimizer (FedAvgM, FedAdam, FedYogi, FedAdagrad) keeps moments across rounds, which the
 * coordinator would have to persist between a round's steps; they run in the simulator (`flock fl simulate`).
 */
export const NETWORK_STRATEGIES = [
  "fedavg",
  "fedprox",
  "fedmedian",
  "fedtrimmedavg",
  "krum",
  "multikrum",
  "bulyan",
] as const;

/** Parameters each strategy takes from the task's `strategy.params` (all numbers). */
const STRATEGY_PARAMS: Record<string, readonly string[]> = {
  fedavg: [],
  fedprox: ["proximalMu"],
  fedmedian: [],
  fedtrimmedavg: ["beta"],
  krum: ["numMaliciousNodes"],
  multikrum: ["numMaliciousNodes", "numNodesToSelect"],
  bulyan: ["numMaliciousNodes"],
};

/** Checks a task's strategy and privacy mode before it is stored (400 with what to change). */
export function checkFlStrategy(terms: Pick<FlTerms, "strategy" | "privacy">): void {
  const name = terms.strategy.name;
  if (!(NETWORK_STRATEGIES as readonly string[]).includes(name)) {
    throw new ValidationError(
      "FL_STRATEGY_UNSUPPORTED",
      name in STRATEGIES
        ? `strategy ${name} keeps server state across rounds and does not run on the network yet`
        : `there is no strategy ${name}`,
      { hint: `use one of ${NETWORK_STRATEGIES.join(", ")}`, details: { strategy: name } },
    );
  }
  const allowed = STRATEGY_PARAMS[name]!;
  for (const [key, value] of Object.entries(terms.strategy.params ?? {})) {
    if (!allowed.includes(key) || typeof value !== "number" || !Number.isFinite(value)) {
      throw new ValidationError(
        "FL_STRATEGY_PARAM_INVALID",
        `strategy ${name} takes no parameter ${key}=${JSON.stringify(value)}`,
        {
          hint:
            allowed.length === 0
              ? `${name} takes no parameters`
              : `${name} takes numeric ${allowed.join(", ")}`,
          details: { strategy: name, param: key },
        },
      );
    }
  }
  if (terms.privacy.mode !== "plain") {
    const strategy = buildBase(terms.strategy, 0);
    if (!isLinear(strategy)) {
      throw new ValidationError(
        "FL_SECAGG_NOT_LINEAR",
        `strategy ${name} needs each update; secure aggregation reveals only their sum`,
        {
          hint: "with secure aggregation use fedavg or fedprox; robust strategies (median, Krum, Bulyan) need privacy mode plain",
          details: { strategy: name, privacy: terms.privacy.mode },
        },
      );
    }
  }
  if (terms.privacy.mode === "secagg+dp") {
    throw new ValidationError(
      "FL_PRIVACY_UNSUPPORTED",
      "privacy mode secagg+dp does not run on the network yet",
      {
        hint: "use secagg (secure aggregation) or plain; differential privacy runs in the simulator (flock fl simulate --dp)",
      },
    );
  }
}

function buildBase(spec: FlTerms["strategy"], seed: number): Strategy {
  const factory = STRATEGIES[spec.name];
  if (factory === undefined)
    throw new ValidationError("FL_STRATEGY_UNSUPPORTED", `there is no strategy ${spec.name}`);
  // Every proposer of the round trains: the role draw already chose them.
  return factory({
    fractionTrain: 1,
    fractionEvaluate: 0,
    minTrainNodes: 1,
    minEvaluateNodes: 1,
    minAvailableNodes: 1,
    seed,
    ...(spec.params ?? {}),
  } as never);
}

/**
 * The strategy of one round: the task's strategy over the round's proposers, wrapped in SecAgg+ under secure
 * aggregation with its neighbour graph drawn from the round's public seed (so a replayed step draws the same).
 */
export function roundStrategy(terms: Pick<FlTerms, "strategy" | "privacy">, seed: string): Strategy {
  const seed32 = Number.parseInt(seed.slice(2, 10), 16);
  const base = buildBase(terms.strategy, seed32);
  if (terms.privacy.mode === "plain") return base;
  return new SecAggPlus(base as LinearStrategy, { graphSeed: seed32 });
}
