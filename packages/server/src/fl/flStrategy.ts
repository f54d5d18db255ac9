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
 * Strategies a federated task may use on the network: every strategy of `@flock/fl`. The server optimizers
 * (FedAvgM, FedAdam, FedYogi, FedAdagrad) keep state across rounds (momentum, moments): each round records the
 * state its candidate left and the next round continues from the last accepted round's (`serverState.ts`).
 */
export const NETWORK_STRATEGIES = [
  "fedavg",
  "fedprox",
  "fedavgm",
  "fedadam",
  "fedyogi",
  "fedadagrad",
  "fedmedian",
  "fedtrimmedavg",
  "krum",
  "multikrum",
  "bulyan",
] as const;

/** The server optimizers: strategies whose aggregate continues from state kept across rounds. */
const SERVER_OPTIMIZERS = new Set(["fedavgm", "fedadam", "fedyogi", "fedadagrad"]);

const FED_OPT = ["eta", "etaL", "beta1", "beta2", "tau"];

/** Parameters each strategy takes from the task's `strategy.params` (all numbers). */
const STRATEGY_PARAMS: Record<string, readonly string[]> = {
  fedavg: [],
  fedprox: ["proximalMu"],
  fedavgm: ["serverLearningRate", "serverMomentum"],
  fedadam: FED_OPT,
  fedyogi: FED_OPT,
  fedadagrad: ["eta", "etaL", "tau"],
  fedmedian: [],
  fedtrimmedavg: ["beta"],
  krum: ["numMaliciousNodes"],
  multikrum: ["numMaliciousNodes", "numNodesToSelect"],
  bulyan: ["numMaliciousNodes"],
};

/** Flower's spelling of a parameter, for a hint when a task uses it. */
const FLOWER_NAMES: Record<string, string> = {
  eta_l: "etaL",
  beta_1: "beta1",
  beta_2: "beta2",
  server_learning_rate: "serverLearningRate",
  server_momentum: "serverMomentum",
  proximal_mu: "proximalMu",
  num_malicious_nodes: "numMaliciousNodes",
  num_nodes_to_select: "numNodesToSelect",
};

/** Checks a task's strategy and privacy mode before it is stored (400 with what to change). */
export function checkFlStrategy(terms: Pick<FlTerms, "strategy" | "privacy">): void {
  const name = terms.strategy.name;
  if (!(NETWORK_STRATEGIES as readonly string[]).includes(name)) {
    throw new ValidationError("FL_STRATEGY_UNSUPPORTED", `there is no strategy ${name}`, {
      hint: `use one of ${NETWORK_STRATEGIES.join(", ")}`,
      details: { strategy: name },
    });
  }
  const allowed = STRATEGY_PARAMS[name]!;
  for (const [key, value] of Object.entries(terms.strategy.params ?? {})) {
    if (!allowed.includes(key) || typeof value !== "number" || !Number.isFinite(value)) {
      const flower = FLOWER_NAMES[key];
      throw new ValidationError(
        "FL_STRATEGY_PARAM_INVALID",
        `strategy ${name} takes no parameter ${key}=${JSON.stringify(value)}`,
        {
          hint:
            flower !== undefined && allowed.includes(flower)
              ? `write ${flower} (Flower's ${key}) as a number`
              : allowed.length === 0
                ? `${name} takes no parameters`
                : `${name} takes numeric ${allowed.join(", ")}`,
          details: { strategy: name, param: key },
        },
      );
    }
  }
  // The values themselves (a learning rate > 0, a decay in [0, 1), …), checked by the strategy as it is built.
  let strategy: Strategy;
  try {
    strategy = buildBase(terms.strategy, 0);
  } catch (error) {
    const e = error as { code?: string; message?: string; hint?: string };
    throw new ValidationError(
      "FL_STRATEGY_PARAM_INVALID",
      `strategy ${name}: ${e.message ?? String(error)}`,
      {
        hint: e.hint ?? `${name} takes numeric ${allowed.join(", ")}`,
        details: { strategy: name, reason: e.code ?? "invalid" },
      },
    );
  }
  if (terms.privacy.mode !== "plain") {
    if (!isLinear(strategy)) {
      throw new ValidationError(
        "FL_SECAGG_NOT_LINEAR",
        `strategy ${name} needs each update; secure aggregation reveals only their sum`,
        {
          hint: "with secure aggregation use fedavg, fedprox or a server optimizer (fedavgm, fedadam, fedyogi, fedadagrad); robust strategies (median, Krum, Bulyan) need privacy mode plain",
          details: { strategy: name, privacy: terms.privacy.mode },
        },
      );
    }
  }
  if (terms.privacy.mode === "secagg+dp" && SERVER_OPTIMIZERS.has(name)) {
    // Flower's DP wrappers add the noise to the wrapped strategy's output: a server optimizer would step on
    // the exact mean (keeping it in its moments) and its step is not the clipped mean whose sensitivity the
    // noise is calibrated for (FedAdam divides by √v + τ), so the budget would not hold.
    throw new ValidationError(
      "FL_STRATEGY_UNSUPPORTED",
      `strategy ${name} keeps server state computed from the noiseless mean; with differential privacy the noise would not cover its step`,
      {
        hint: "with privacy mode secagg+dp use fedavg or fedprox; server optimizers run with plain or secagg",
        details: { strategy: name, privacy: terms.privacy.mode },
      },
    );
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
