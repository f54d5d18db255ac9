import { ValidationError } from "@flock/core";
import type { Config } from "../messages.ts";
import { FedAvg, type FedAvgOptions } from "./fedAvg.ts";

/** The config key carrying μ in each training message (Flower's). */
export const PROXIMAL_MU_KEY = "proximal-mu";

export interface FedProxOptions extends FedAvgOptions {
  /** The proximal coefficient μ ≥ 0 (default 0, Flower's `proximal_mu`: then this is FedAvg). */
  readonly proximalMu?: number;
}

/**
 * FedProx — Li, Sahu, Zaheer, Sanjabi, Talwalkar, Smith, "Federated Optimization in Heterogeneous
 * Networks", MLSys 2020: each node minimizes its loss plus μ/2·‖w − w_t‖², w_t the global model it was sent,
 * so heterogeneous local training drifts less. The server side is FedAvg; every training message carries μ
 * under `proximal-mu` (as Flower's `FedProx`), and nodes add the term to local training (the engine's
 * `Trainer` with `proximal`, `setProximalMu`).
 */
export class FedProx extends FedAvg {
  override readonly name: string = "FedProx";
  readonly proximalMu: number;

  constructor(options: FedProxOptions = {}) {
    super(options);
    this.proximalMu = options.proximalMu ?? 0;
    if (!(Number.isFinite(this.proximalMu) && this.proximalMu >= 0)) {
      throw new ValidationError(
        "FL_OPTION_INVALID",
        `proximalMu must be a finite number ≥ 0, got ${this.proximalMu}`,
        {
          hint: "use e.g. 0.01–1 (0 makes FedProx plain FedAvg)",
        },
      );
    }
  }

  protected override trainConfig(round: number, config: Config): Config {
    return { ...super.trainConfig(round, config), [PROXIMAL_MU_KEY]: this.proximalMu };
  }
}
