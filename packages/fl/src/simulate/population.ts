import { ValidationError } from "@flock/core";
import { createRng, mixSeed } from "@flock/engine";
import type { Partition } from "./partition.ts";
import { LazyPermutation } from "./random.ts";

/**
 * Byzantine behaviours of a fixed fraction of the population (Blanchard et al. 2017's threat model; the
 * attacks of Baruch et al. 2019, Li et al. 2019, Bagdasaryan et al. 2020, Tolpegin et al. 2020):
 * - `sign-flip`: send g − s·(w − g), the local step reversed and scaled (s = `scale`, default 4, the
 *   "−4×" sign-flipping attack of Li, Xu, Chen, Giannakis, Ling, "RSA: Byzantine-Robust Stochastic
 *   Aggregation Methods for Distributed Learning", AAAI 2019);
 * - `scaling`: send g + λ·(w − g) (λ = `scale`, default 10; model replacement, Bagdasaryan et al., "How To
 *   Backdoor Federated Learning", AISTATS 2020);
 * - `gaussian`: send g + N(0, σ²) per coordinate (σ = `sigma`, default 1; Blanchard et al. 2017's Gaussian
 *   Byzantine workers);
 * - `label-flip`: train honestly on poisoned data, every label c → K−1−c (Tolpegin, Truex, Gursoy, Liu,
 *   "Data Poisoning Attacks Against Federated Learning Systems", ESORICS 2020);
 * - `alie`: "a little is enough" (Baruch, Baruch, Goldberg, NeurIPS 2019): every attacker of a round sends
 *   μ − z·σ, the coordinate-wise mean and standard deviation of the round's benign updates, with
 *   z = Φ⁻¹((n − s)/n), s = ⌊n/2 + 1⌋ − f for the round's n updates of which f are the attackers' (or a
 *   fixed `z`). The attackers are omniscient here (they see the benign updates), the strongest form.
 */
export const ATTACKS = ["sign-flip", "scaling", "gaussian", "label-flip", "alie"] as const;
export type AttackKind = (typeof ATTACKS)[number];

export interface ByzantineOptions {
  /** Fraction of the population that attacks (exactly round(fraction × clients) clients, fixed by seed). */
  readonly fraction: number;
  readonly attack: AttackKind;
  /** sign-flip's s (default 4) or scaling's λ (default 10). */
  readonly scale?: number;
  /** gaussian's σ (default 1). */
  readonly sigma?: number;
  /** alie's z (default: Baruch et al.'s z for each round's n and f). */
  readonly z?: number;
}

/**
 * Simulated device speed: a client takes msPerExample × examples × epochs × speedᵢ × jitter ms to answer,
 * speedᵢ ~ lognormal(0, deviceSigma) fixed per client (slow devices stay slow), jitter ~ lognormal(0,
 * jitterSigma) per round. Replies later than the round deadline are stragglers (dropped).
 */
export interface StragglerOptions {
  readonly deadlineMs: number;
  /** Default 10. */
  readonly msPerExample?: number;
  /** Default 0.5. */
  readonly deviceSigma?: number;
  /** Default 0.2. */
  readonly jitterSigma?: number;
}

export interface PopulationOptions {
  readonly partition: Partition;
  readonly seed: number;
  /** Probability that a sampled client drops out of a round (default 0), independent per client and round. */
  readonly dropout?: number;
  readonly stragglers?: StragglerOptions;
  readonly byzantine?: ByzantineOptions;
}

const STREAM = { byzantine: 11, dropout: 12, device: 13, jitter: 14 } as const;

/**
 * A simulated population: everything about client i (its rows, whether it attacks, its device speed, whether
 * it drops out of round r) is a function of (seed, i[, r]) evaluated on demand, so a population of 100,000
 * clients holds no per-client state.
 */
export class Population {
  readonly size: number;
  readonly partition: Partition;
  readonly byzantine: ByzantineOptions | undefined;
  /** Number of Byzantine clients (exactly round(fraction × size)). */
  readonly byzantineCount: number;
  private readonly seed: number;
  private readonly dropout: number;
  private readonly stragglers: StragglerOptions | undefined;
  private readonly roles: LazyPermutation;

  constructor(options: PopulationOptions) {
    this.partition = options.partition;
    this.size = options.partition.numClients;
    this.seed = options.seed;
    this.dropout = options.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout <= 1)) {
      throw new ValidationError("FL_OPTION_INVALID", `dropout must be in [0, 1], got ${this.dropout}`);
    }
    this.stragglers = options.stragglers;
    if (this.stragglers && !(this.stragglers.deadlineMs > 0)) {
      throw new ValidationError("FL_OPTION_INVALID", `a round deadline of ${this.stragglers.deadlineMs} ms`, {
        hint: "give the deadline in simulated milliseconds, > 0",
      });
    }
    this.byzantine = options.byzantine;
    const fraction = this.byzantine?.fraction ?? 0;
    if (!(fraction >= 0 && fraction <= 1)) {
      throw new ValidationError(
        "FL_OPTION_INVALID",
        `the Byzantine fraction must be in [0, 1], got ${fraction}`,
      );
    }
    if (this.byzantine && !(ATTACKS as readonly string[]).includes(this.byzantine.attack)) {
      throw new ValidationError("FL_OPTION_INVALID", `no attack named ${this.byzantine.attack}`, {
        hint: `use one of ${ATTACKS.join(", ")}`,
      });
    }
    this.byzantineCount = Math.round(fraction * this.size);
    this.roles = new LazyPermutation(this.size, mixSeed(this.seed, STREAM.byzantine));
  }

  /** Whether client i is one of the Byzantine clients (a seeded permutation puts exactly the count below it). */
  isByzantine(client: number): boolean {
    return this.byzantineCount > 0 && this.roles.at(client) < this.byzantineCount;
  }

  /** Whether client i drops out of `round` (seeded, independent per client and round). */
  dropsOut(client: number, round: number): boolean {
    return (
      this.dropout > 0 && createRng(mixSeed(this.seed, STREAM.dropout, round, client)).next() < this.dropout
    );
  }

  /** Simulated time client i takes to answer in `round` for `work` example-epochs (0 without a straggler model). */
  latencyMs(client: number, round: number, work: number): number {
    const s = this.stragglers;
    if (!s) return 0;
    const device = Math.exp(
      (s.deviceSigma ?? 0.5) * createRng(mixSeed(this.seed, STREAM.device, client)).nextNormal(),
    );
    const jitter = Math.exp(
      (s.jitterSigma ?? 0.2) * createRng(mixSeed(this.seed, STREAM.jitter, round, client)).nextNormal(),
    );
    return (s.msPerExample ?? 10) * work * device * jitter;
  }

  /** The round deadline in simulated ms (undefined: no deadline). */
  get deadlineMs(): number | undefined {
    return this.stragglers?.deadlineMs;
  }
}
