import { ValidationError } from "@flock/core";
import {
  cryptoNoise,
  DifferentialPrivacyClientSideFixedClipping,
  isLinear,
  type LinearStrategy,
  RdpAccountant,
  SecAggPlus,
  STRATEGIES,
  type Strategy,
} from "@flock/fl";
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
    const { targetEpsilon, delta } = terms.privacy;
    if (targetEpsilon === undefined || delta === undefined) {
      throw new ValidationError(
        "FL_PRIVACY_INVALID",
        "privacy mode secagg+dp needs targetEpsilon and delta",
        {
          hint: "give the privacy budget the whole task may spend, e.g. targetEpsilon 8 and delta 1e-5",
        },
      );
    }
  }
}

/** The rounds a task may release a model in (accepted and redone), which its DP budget must cover. */
function releases(terms: Pick<FlTerms, "rounds">): number {
  return terms.rounds * 3;
}

/** The RDP accountant's ε after `steps` releases at sampling rate q and noise multiplier z. */
export function dpEpsilon(q: number, z: number, steps: number, delta: number): number {
  const accountant = new RdpAccountant({ delta });
  return accountant.record(steps, q, z, steps).epsilon;
}

/**
 * The smallest noise multiplier z (to 1e-3) whose ε over every release the task may make (its rounds, redos
 * included) stays within its target at δ, for proposers sampled at rate q: the budget is fixed when the task
 * is created, so no round can overspend it.
 */
export function dpNoiseMultiplier(terms: Pick<FlTerms, "rounds" | "privacy">, q: number): number {
  const { targetEpsilon, delta } = terms.privacy;
  if (targetEpsilon === undefined || delta === undefined) {
    throw new ValidationError("FL_PRIVACY_INVALID", "privacy mode secagg+dp needs targetEpsilon and delta");
  }
  const steps = releases(terms);
  let low = 0.05;
  let high = 200;
  if (dpEpsilon(q, high, steps, delta) > targetEpsilon) {
    throw new ValidationError(
      "FL_PRIVACY_INVALID",
      `no noise multiplier ≤ ${high} keeps ε within ${targetEpsilon}`,
      {
        hint: "raise targetEpsilon or delta, or play fewer rounds",
      },
    );
  }
  while (high - low > 1e-3) {
    const mid = (low + high) / 2;
    if (dpEpsilon(q, mid, steps, delta) <= targetEpsilon) high = mid;
    else low = mid;
  }
  return high;
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
export function roundStrategy(
  terms: Pick<FlTerms, "strategy" | "privacy" | "rounds" | "proposerFractionBps">,
  seed: string,
  proposers: number,
): Strategy {
  const seed32 = Number.parseInt(seed.slice(2, 10), 16);
  const base = buildBase(terms.strategy, seed32);
  if (terms.privacy.mode === "plain") return base;
  const secure = new SecAggPlus(base as LinearStrategy, { graphSeed: seed32 });
  if (terms.privacy.mode === "secagg") return secure;
  // Central DP on the unmasked sum (Flower's client-side fixed clipping under SecAgg+): nodes clip to C, the
  // coordinator adds noise z·C/m to the mean; a dropout recovered by SecAgg+ still releases the round.
  const q = terms.proposerFractionBps / 10_000;
  return new DifferentialPrivacyClientSideFixedClipping(secure, {
    noiseMultiplier: dpNoiseMultiplier(terms, q),
    numSampledClients: proposers,
    clippingNorm: terms.privacy.clipNorm ?? 1,
    samplingRate: q,
    noise: cryptoNoise(),
    acceptFailures: true,
  });
}

/** ε spent by a task's DP releases after `released` of them (0 for tasks without DP). */
export function epsilonSpent(
  terms: Pick<FlTerms, "rounds" | "privacy" | "proposerFractionBps">,
  released: number,
): number {
  if (terms.privacy.mode !== "secagg+dp" || released === 0) return 0;
  const q = terms.proposerFractionBps / 10_000;
  return dpEpsilon(q, dpNoiseMultiplier(terms, q), released, terms.privacy.delta!);
}
