import { ValidationError } from "@flock/core";
import { mixSeed } from "@flock/engine";
import {
  adaptiveClippingNode,
  cryptoNoise,
  DifferentialPrivacyClientSideAdaptiveClipping,
  DifferentialPrivacyClientSideFixedClipping,
  DifferentialPrivacyServerSideAdaptiveClipping,
  DifferentialPrivacyServerSideFixedClipping,
  fixedClippingNode,
  RdpAccountant,
  seededNoiseForTests,
} from "../dp/index.ts";
import type { NodeApp } from "../inMemoryGrid.ts";
import type { Strategy } from "../strategy.ts";

/** Flower's four central-DP wrappers by name: where updates are clipped, and whether C adapts. */
export const DP_MODES = ["server-fixed", "server-adaptive", "client-fixed", "client-adaptive"] as const;
export type DpMode = (typeof DP_MODES)[number];

/** Central differential privacy for every strategy of a simulation, with an RDP accountant reporting ε. */
export interface SimulationDp {
  readonly mode: DpMode;
  /** z, the noise multiplier. */
  readonly noiseMultiplier: number;
  /** C (fixed modes, required) or the first round's C (adaptive modes, default 0.1). */
  readonly clippingNorm?: number;
  /** δ of the reported ε (default 1e-5). */
  readonly delta?: number;
  /**
   * Draw the noise from the simulation's seed (a bit-reproducible run, not private) instead of the CSPRNG
   * (default false: private noise, so results vary from run to run).
   */
  readonly seededNoise?: boolean;
}

/** `inner` wrapped in the configured central-DP strategy, with its own accountant (δ default 1e-5). */
export function withDp(inner: Strategy, dp: SimulationDp, clientsPerRound: number, seed: number): Strategy {
  if (!(DP_MODES as readonly string[]).includes(dp.mode)) {
    throw new ValidationError("FL_OPTION_INVALID", `no DP mode ${dp.mode}`, {
      hint: `use one of ${DP_MODES.join(", ")}`,
    });
  }
  const common = {
    noiseMultiplier: dp.noiseMultiplier,
    numSampledClients: clientsPerRound,
    accountant: new RdpAccountant({ delta: dp.delta ?? 1e-5 }),
    noise: dp.seededNoise ? seededNoiseForTests(mixSeed(seed, 41)) : cryptoNoise(),
  };
  if (dp.mode === "server-fixed" || dp.mode === "client-fixed") {
    if (dp.clippingNorm === undefined) {
      throw new ValidationError("FL_OPTION_INVALID", `DP mode ${dp.mode} needs a clipping norm`, {
        hint: "give dp.clippingNorm, the L2 norm every update is clipped to",
      });
    }
    const options = { ...common, clippingNorm: dp.clippingNorm };
    return dp.mode === "server-fixed"
      ? new DifferentialPrivacyServerSideFixedClipping(inner, options)
      : new DifferentialPrivacyClientSideFixedClipping(inner, options);
  }
  const options = {
    ...common,
    ...(dp.clippingNorm === undefined ? {} : { initialClippingNorm: dp.clippingNorm }),
  };
  return dp.mode === "server-adaptive"
    ? new DifferentialPrivacyServerSideAdaptiveClipping(inner, options)
    : new DifferentialPrivacyClientSideAdaptiveClipping(inner, options);
}

/** The node side the DP mode needs (client-side clipping), or the app unchanged. */
export function dpNode(app: NodeApp, dp: SimulationDp | undefined): NodeApp {
  if (dp?.mode === "client-fixed") return fixedClippingNode(app);
  if (dp?.mode === "client-adaptive") return adaptiveClippingNode(app);
  return app;
}
