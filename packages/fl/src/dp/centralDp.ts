import { ValidationError } from "@flock/core";
import type { Arrays } from "../arrays.ts";
import type { Grid } from "../grid.ts";
import { type Config, isError, type Message, type Metrics, type Reply } from "../messages.ts";
import type { RejectedUpdate } from "../strategies/sampledStrategy.ts";
import type { Strategy, TrainResult } from "../strategy.ts";
import { addGaussianNoise, cryptoNoise, type NoiseSource } from "./gaussianNoise.ts";
import { assertPositive, centralNoiseStd } from "./noiseCalibration.ts";
import { assertNoiseMultiplier, assertSamplingRate } from "./rdp.ts";
import type { PrivacyRecord, RdpAccountant } from "./rdpAccountant.ts";

/** Options shared by the four central-DP wrappers (Flower's constructor arguments, plus accounting). */
export interface CentralDpOptions {
  /** z, the noise multiplier of the Gaussian mechanism (≥ 0; 1 or more for meaningful privacy). */
  readonly noiseMultiplier: number;
  /** m, the number of clients sampled each round: the noise on the mean is z·C/m. */
  readonly numSampledClients: number;
  /** When given, each round is recorded and its metrics carry `epsilon` and `epsilon-round`. */
  readonly accountant?: RdpAccountant;
  /**
   * q for the accountant: the chance a client takes part in a round. Default: numSampledClients divided by
   * the grid's available nodes when the round is configured.
   */
  readonly samplingRate?: number;
  /** The noise (default `cryptoNoise()`; `seededNoiseForTests` only in tests). */
  readonly noise?: NoiseSource;
  /**
   * Aggregate a round that has failed replies (default false: as Flower, a round with any failure releases
   * nothing and keeps the previous model).
   */
  readonly acceptFailures?: boolean;
}

/** The fixed-clipping wrappers' options. */
export interface FixedClippingOptions extends CentralDpOptions {
  /** C, the L2 norm every client's update Δ = model − global is clipped to. */
  readonly clippingNorm: number;
}

/** What a DP wrapper did in its last aggregated round. */
export interface DpRoundReport {
  readonly round: number;
  /** The clipping norm C the round's updates were held to, and the noise's standard deviation. */
  readonly clippingNorm: number;
  readonly noiseStddev: number;
  /**
   * Updates aggregated. Fewer than numSampledClients weakens the guarantee, since the noise is calibrated
   * to m (Flower logs a warning); the round metric `dp-updates` shows it.
   */
  readonly updates: number;
  /** The round was skipped because of failed replies (nothing released). */
  readonly skipped: boolean;
  /** The accountant's record of the round, when there is an accountant. */
  readonly privacy?: PrivacyRecord;
}

/** A round's clipped aggregate as a wrapper hands it to the noising step. */
export interface ClippedAggregate {
  readonly result: TrainResult;
  /** C of this round (the sensitivity of each client's contribution to the sum). */
  readonly clippingNorm: number;
  /** The multiplier of the noise on the model (z, or z_Δ with adaptive clipping). */
  readonly updateNoiseMultiplier: number;
  /** Metrics the wrapper adds (e.g. the noised clipped fraction). */
  readonly metrics?: Metrics;
}

/**
 * The part every central-DP wrapper shares (Flower's four `DifferentialPrivacy*Clipping` strategies): it
 * wraps any strategy, delegates sampling and evaluation to it, skips rounds with failures, adds Gaussian
 * noise of standard deviation z·C/m to the aggregated model, records the round in the accountant and
 * reports what it did in the round's metrics. Subclasses clip (or check clipping) and aggregate.
 */
export abstract class CentralDp implements Strategy {
  abstract readonly name: string;
  readonly inner: Strategy;
  readonly noiseMultiplier: number;
  readonly numSampledClients: number;
  readonly accountant: RdpAccountant | undefined;
  /** The last aggregated round's report. */
  lastRound: DpRoundReport | undefined;
  protected readonly noise: NoiseSource;
  protected readonly acceptFailures: boolean;
  /** The global arrays the current round started from. */
  protected current: Arrays | undefined;
  private readonly fixedSamplingRate: number | undefined;
  private samplingRate = 1;

  constructor(inner: Strategy, options: CentralDpOptions) {
    this.inner = inner;
    this.noiseMultiplier = assertNoiseMultiplier(options.noiseMultiplier);
    if (!Number.isSafeInteger(options.numSampledClients) || options.numSampledClients < 1) {
      throw new ValidationError(
        "FL_DP_OPTION_INVALID",
        `numSampledClients must be a whole number ≥ 1, got ${options.numSampledClients}`,
        { hint: "give the number of clients the inner strategy samples each round" },
      );
    }
    this.numSampledClients = options.numSampledClients;
    this.accountant = options.accountant;
    this.fixedSamplingRate =
      options.samplingRate === undefined ? undefined : assertSamplingRate(options.samplingRate);
    this.noise = options.noise ?? cryptoNoise();
    this.acceptFailures = options.acceptFailures ?? false;
  }

  /** The inner strategy's rejected updates of the last round (when it keeps that list). */
  get rejected(): readonly RejectedUpdate[] {
    return (this.inner as { rejected?: RejectedUpdate[] }).rejected ?? [];
  }

  async configureTrain(round: number, arrays: Arrays, config: Config, grid: Grid): Promise<Message[]> {
    await this.startRound(arrays, grid);
    const messages = await this.inner.configureTrain(round, arrays, config, grid);
    const extra = this.nodeConfig();
    if (Object.keys(extra).length === 0) return messages;
    return messages.map((m) => ({ ...m, config: { ...m.config, ...extra } }));
  }

  aggregateTrain(round: number, replies: readonly Reply[]): TrainResult {
    const global = this.current;
    if (!global) {
      throw new ValidationError("FL_NOT_CONFIGURED", `${this.name} aggregated before it configured a round`, {
        hint: "call configureTrain first",
      });
    }
    const failed = replies.filter(isError).length;
    if (failed > 0 && !this.acceptFailures) return this.skip(round, failed);
    const updates = replies.filter((r) => "update" in r).length;
    return this.release(round, this.clipAndAggregate(round, global, replies), updates);
  }

  configureEvaluate(round: number, arrays: Arrays, config: Config, grid: Grid): Promise<Message[]> {
    return this.inner.configureEvaluate(round, arrays, config, grid);
  }

  aggregateEvaluate(round: number, replies: readonly Reply[]): Metrics | undefined {
    return this.inner.aggregateEvaluate(round, replies);
  }

  /** Clips the round's updates (or checks the nodes did) and aggregates them with the inner strategy. */
  protected abstract clipAndAggregate(
    round: number,
    global: Arrays,
    replies: readonly Reply[],
  ): ClippedAggregate;

  /** Config keys sent to every training node (the client-side wrappers send the clipping norm). */
  protected nodeConfig(): Config {
    return {};
  }

  /** Notes the round's starting arrays and its sampling rate q. */
  protected async startRound(arrays: Arrays, grid: Grid): Promise<void> {
    this.current = arrays;
    if (this.fixedSamplingRate !== undefined) {
      this.samplingRate = this.fixedSamplingRate;
    } else {
      const available = (await grid.nodeIds()).length;
      this.samplingRate = available > 0 ? Math.min(1, this.numSampledClients / available) : 1;
    }
  }

  /** A round that releases nothing (Flower: `if failures: return None, {}`). */
  protected skip(round: number, failed: number): TrainResult {
    this.lastRound = { round, clippingNorm: Number.NaN, noiseStddev: 0, updates: 0, skipped: true };
    return { metrics: { "dp-skipped": 1, "dp-failed-replies": failed } };
  }

  /**
   * Adds N(0, (z·C/m)²) noise to the aggregate of `updates` updates (Flower's `add_gaussian_noise_to_params`),
   * records the round in the accountant at (q, z) and reports it.
   */
  protected release(round: number, clipped: ClippedAggregate, updates: number): TrainResult {
    const std = centralNoiseStd(clipped.updateNoiseMultiplier, clipped.clippingNorm, this.numSampledClients);
    const arrays = clipped.result.arrays
      ? addGaussianNoise(clipped.result.arrays, std, this.noise)
      : undefined;
    const privacy = this.accountant?.record(round, this.samplingRate, this.noiseMultiplier);
    this.lastRound = {
      round,
      clippingNorm: clipped.clippingNorm,
      noiseStddev: std,
      updates,
      skipped: false,
      ...(privacy ? { privacy } : {}),
    };
    const metrics: Record<string, number> = {
      ...clipped.result.metrics,
      ...clipped.metrics,
      "clipping-norm": clipped.clippingNorm,
      "noise-stddev": std,
      "dp-updates": updates,
    };
    if (privacy) {
      metrics.epsilon = privacy.epsilon;
      metrics["epsilon-round"] = privacy.roundEpsilon;
    }
    return { ...(arrays ? { arrays } : {}), metrics };
  }
}

/** Throws FL_DP_OPTION_INVALID unless the clipping norm is a finite number > 0. */
export function assertDpClippingNorm(value: number, name = "clippingNorm"): number {
  return assertPositive(value, name, "the largest L2 norm a client's update may have, e.g. 1");
}
