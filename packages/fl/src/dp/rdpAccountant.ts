import { ValidationError } from "@flock/core";
import {
  assertDelta,
  assertNoiseMultiplier,
  assertSamplingRate,
  computeRdp,
  DEFAULT_RDP_ORDERS,
  epsilonFromRdp,
  type PrivacySpent,
} from "./rdp.ts";

export interface RdpAccountantOptions {
  /** The δ at which ε is reported (e.g. 1e-5; keep it well below 1 / population). */
  readonly delta: number;
  /** The RDP orders searched (default DEFAULT_RDP_ORDERS, as Opacus). */
  readonly orders?: readonly number[];
}

/** One recorded release of the sampled Gaussian mechanism and the privacy spent by then. */
export interface PrivacyRecord {
  /** The federation round (or any label the caller counts in). */
  readonly round: number;
  readonly samplingRate: number;
  readonly noiseMultiplier: number;
  readonly steps: number;
  /** ε at δ of this round's release on its own. */
  readonly roundEpsilon: number;
  /** ε at δ of every release so far, composed in RDP. */
  readonly epsilon: number;
  /** The order α at which the cumulative ε was reached. */
  readonly order: number;
}

/**
 * A Rényi DP accountant for the sampled Gaussian mechanism (Mironov 2017; Mironov, Talwar, Zhang 2019), as
 * Opacus's `RDPAccountant`: it records (q, σ, steps) per round, adds up their RDP at every order
 * (composition), and converts to ε at δ with `epsilonFromRdp`. Each record reports that round's ε alone and
 * the cumulative ε. The RDP of a (q, σ) pair is computed once and reused.
 *
 * In federated learning q is the fraction of clients sampled per round and σ the noise multiplier of the
 * clipped sum; the analysis assumes Poisson sampling, the usual approximation for a fixed-size sample.
 */
export class RdpAccountant {
  readonly delta: number;
  readonly orders: readonly number[];
  private readonly total: number[];
  private readonly cache = new Map<string, readonly number[]>();
  private readonly records: PrivacyRecord[] = [];

  constructor(options: RdpAccountantOptions) {
    this.delta = assertDelta(options.delta);
    this.orders = [...(options.orders ?? DEFAULT_RDP_ORDERS)];
    this.total = new Array<number>(this.orders.length).fill(0);
    epsilonFromRdp(this.orders, this.total, this.delta); // validates the orders
  }

  /** Records `steps` releases at sampling rate q and noise multiplier σ; returns the round's record. */
  record(round: number, samplingRate: number, noiseMultiplier: number, steps = 1): PrivacyRecord {
    assertSamplingRate(samplingRate);
    assertNoiseMultiplier(noiseMultiplier);
    if (!Number.isSafeInteger(steps) || steps < 1) {
      throw new ValidationError("FL_DP_OPTION_INVALID", `steps must be a whole number ≥ 1, got ${steps}`);
    }
    const perStep = this.rdpOfStep(samplingRate, noiseMultiplier);
    const roundRdp = perStep.map((r) => r * steps);
    roundRdp.forEach((r, k) => {
      this.total[k]! += r;
    });
    const cumulative = epsilonFromRdp(this.orders, this.total, this.delta);
    const record: PrivacyRecord = {
      round,
      samplingRate,
      noiseMultiplier,
      steps,
      roundEpsilon: epsilonFromRdp(this.orders, roundRdp, this.delta).epsilon,
      epsilon: cumulative.epsilon,
      order: cumulative.order,
    };
    this.records.push(record);
    return record;
  }

  /** Every record so far, oldest first. */
  get history(): readonly PrivacyRecord[] {
    return this.records;
  }

  /** The cumulative privacy spent at `delta` (default: the accountant's δ); ε = 0 before any record. */
  spent(delta = this.delta): PrivacySpent {
    if (this.records.length === 0) return { epsilon: 0, order: Number.NaN };
    return epsilonFromRdp(this.orders, this.total, delta);
  }

  /** The cumulative RDP at each order (a copy). */
  rdp(): number[] {
    return [...this.total];
  }

  private rdpOfStep(q: number, sigma: number): readonly number[] {
    const key = `${q}:${sigma}`;
    let rdp = this.cache.get(key);
    if (!rdp) {
      rdp = computeRdp(q, sigma, 1, this.orders);
      this.cache.set(key, rdp);
    }
    return rdp;
  }
}
