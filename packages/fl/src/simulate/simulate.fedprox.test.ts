import { describe, expect, it } from "vitest";
import { simulate } from "./simulate.ts";

describe("FedProx in the simulator", () => {
  it("μ = 0 is FedAvg bit for bit; μ > 0 reaches the nodes' trainers and changes the run", async () => {
    const result = await simulate({
      clients: 30,
      clientsPerRound: 6,
      rounds: 3,
      hidden: [8],
      training: { epochs: 3, batchSize: 4, lr: 0.1 },
      strategies: [
        "fedavg",
        { name: "fedprox", label: "fedprox-0", options: { proximalMu: 0 } },
        { name: "fedprox", label: "fedprox-1", options: { proximalMu: 1 } },
      ],
      seed: 4,
      workers: 0,
    });
    const [fedavg, prox0, prox1] = result.strategies.map((s) =>
      s.rounds.map((r) => [r.loss, r.accuracy, r.trainLoss]),
    );
    expect(prox0).toEqual(fedavg);
    expect(prox1).not.toEqual(fedavg);
  });
});
