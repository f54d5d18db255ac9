import { ValidationError } from "@flock/core";
import { clipModelUpdate } from "../clipping.ts";
import type { NodeApp } from "../inMemoryGrid.ts";
import { addGaussianNoise, cryptoNoise, type NoiseSource } from "./gaussianNoise.ts";
import { assertPositive, localDpNoiseStd } from "./noiseCalibration.ts";
import { assertDelta, computeRdp, DEFAULT_RDP_ORDERS, epsilonFromRdp } from "./rdp.ts";

export interface LocalDpOptions {
  /** C, the L2 norm the node's update is clipped to before noising. */
  readonly clippingNorm: number;
  /** Δ, the L2 sensitivity the noise is calibrated to (usually C). */
  readonly sensitivity: number;
  /** ε of each release (the Gaussian mechanism's bound holds for ε < 1). */
  readonly epsilon: number;
  /** δ of each release. */
  readonly delta: number;
  /** The noise (default `cryptoNoise()`; `seededNoiseForTests` only in tests). */
  readonly noise?: NoiseSource;
  /**
   * When given, each update also reports `local-epsilon-spent`: the node's cumulative ε at this δ over all
   * its releases so far, composed in RDP (the Gaussian mechanism with multiplier std/Δ, q = 1), which is
   * tighter than adding up the per-release ε.
   */
  readonly accountingDelta?: number;
  /** RDP orders for that accounting (default DEFAULT_RDP_ORDERS). */
  readonly orders?: readonly number[];
}

/**
 * Local differential privacy on the node (Flower's `LocalDpMod`): after local training the update is clipped
 * to L2 norm C against the received model, then every parameter gets Gaussian noise of standard deviation
 * Δ·√(2·ln(1.25/δ))/ε (Dwork & Roth 2014, Theorem A.1), so the node's model is (ε, δ)-DP before it leaves
 * the node, whatever the server does. The update's metrics gain `local-epsilon` and `local-delta` (per
 * release) and, with `accountingDelta`, `local-epsilon-spent` (the node's releases so far, composed in
 * RDP). Evaluation and exchanges pass through.
 */
export function localDpNode(app: NodeApp, options: LocalDpOptions): NodeApp {
  const clippingNorm = assertPositive(
    options.clippingNorm,
    "clippingNorm",
    "the largest L2 norm of an update, e.g. 1",
  );
  if (!(options.sensitivity >= 0) || !Number.isFinite(options.sensitivity)) {
    throw new ValidationError("FL_DP_OPTION_INVALID", `sensitivity must be ≥ 0, got ${options.sensitivity}`, {
      hint: "the L2 sensitivity is usually the clipping norm",
    });
  }
  const epsilon = assertPositive(options.epsilon, "epsilon", "the privacy budget of one release, e.g. 0.5");
  if (!(options.delta > 0 && options.delta < 1)) {
    throw new ValidationError("FL_DP_OPTION_INVALID", `delta must be in (0, 1), got ${options.delta}`, {
      hint: "pick δ well below 1 / (the node's number of examples), e.g. 1e-5",
    });
  }
  const std = localDpNoiseStd(options.sensitivity, epsilon, options.delta);
  const noise = options.noise ?? cryptoNoise();
  const spent = localAccounting(options, std);
  return {
    async train(message) {
      if (!message.arrays) {
        throw new ValidationError("FL_DP_NO_GLOBAL", "a training message without arrays cannot be clipped", {
          hint: "send the global arrays with every training message",
        });
      }
      const update = await app.train(message);
      const clipped = clipModelUpdate(message.arrays, update.arrays, clippingNorm);
      return {
        ...update,
        arrays: addGaussianNoise(clipped.arrays, std, noise),
        metrics: {
          ...update.metrics,
          "local-epsilon": epsilon,
          "local-delta": options.delta,
          ...(spent ? { "local-epsilon-spent": spent(message.nodeId) } : {}),
        },
      };
    },
    evaluate: (message) => app.evaluate(message),
    ...(app.exchange ? { exchange: app.exchange.bind(app) } : {}),
  };
}

/** The noise standard deviation `localDpNode` adds for these options. */
export function localDpNodeStd(options: Pick<LocalDpOptions, "sensitivity" | "epsilon" | "delta">): number {
  return localDpNoiseStd(options.sensitivity, options.epsilon, options.delta);
}

/**
 * Per-node cumulative ε of local DP: node k's i-th release costs the RDP of the Gaussian mechanism with
 * multiplier z = std/Δ at q = 1, i·α/(2z²) in total; only a count is kept per node. Undefined when there is
 * no accounting δ, or Δ = 0 (no noise is calibrated to anything).
 */
function localAccounting(options: LocalDpOptions, std: number): ((nodeId: string) => number) | undefined {
  if (options.accountingDelta === undefined || options.sensitivity === 0) return undefined;
  const delta = assertDelta(options.accountingDelta);
  const orders = options.orders ?? DEFAULT_RDP_ORDERS;
  const perRelease = computeRdp(1, std / options.sensitivity, 1, orders);
  const releases = new Map<string, number>();
  return (nodeId) => {
    const count = (releases.get(nodeId) ?? 0) + 1;
    releases.set(nodeId, count);
    return epsilonFromRdp(
      orders,
      perRelease.map((r) => r * count),
      delta,
    ).epsilon;
  };
}
