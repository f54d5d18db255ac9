import { createRng } from "@flock/engine";
import { describe, expect, it } from "vitest";
import { l2Norm } from "../clipping.ts";
import type { Reply } from "../messages.ts";
import { configured, flatResult, trainReply } from "../robust/testReplies.ts";
import type { Strategy } from "../strategy.ts";
import { Bulyan } from "./bulyan.ts";
import { FedAvg } from "./fedAvg.ts";
import { FedMedian } from "./fedMedian.ts";
import { FedTrimmedAvg } from "./fedTrimmedAvg.ts";
import { Krum } from "./krum.ts";
import { MultiKrum } from "./multiKrum.ts";
import { NormClipping } from "./normClipping.ts";

/**
 * 12 honest nodes send the true model plus N(0, 0.1²) noise per coordinate; 3 Byzantine nodes (20%) attack.
 * The error of an aggregate is its L2 distance to the true model (honest noise alone leaves ≈ 0.1·√(d/12)).
 */
const D = 40;
const HONEST = 12;
const BYZANTINE = 3;
const truth = Array.from({ length: D }, (_, i) => Math.cos(i));

type Attack = (honest: number[][], k: number) => number[];
const attacks: Record<string, Attack> = {
  "sign flip ×4": () => truth.map((v) => -4 * v),
  "scaling ×100": (honest, k) => honest[k]!.map((v) => 100 * v),
  "Gaussian noise σ = 10": (_, k) => {
    const rng = createRng(500 + k);
    return truth.map(() => 10 * rng.nextNormal());
  },
};

function round(attack: Attack, seed: number): Reply[] {
  const rng = createRng(seed);
  const honest = Array.from({ length: HONEST }, () => truth.map((v) => v + 0.1 * rng.nextNormal()));
  const byzantine = Array.from({ length: BYZANTINE }, (_, k) => attack(honest, k));
  // attackers first, so any order effect would show
  return [...byzantine, ...honest].map((u, i) => trainReply(String(i), u, 10));
}

const error = (values: number[]) => l2Norm(values.map((v, i) => v - truth[i]!));

/** Each robust strategy and the error it must stay under: Krum keeps one honest update (its noise alone is
 * ≈ 0.1·√40 ≈ 0.63); the others average several honest values per coordinate. */
const robust: [string, () => Strategy, number][] = [
  ["FedMedian", () => new FedMedian(), 0.35],
  ["FedTrimmedAvg β = 0.2", () => new FedTrimmedAvg({ beta: 0.2 }), 0.35],
  ["Krum f = 3", () => new Krum({ numMaliciousNodes: BYZANTINE }), 0.9],
  [
    "Multi-Krum f = 3, m = 9",
    () => new MultiKrum({ numMaliciousNodes: BYZANTINE, numNodesToSelect: 9 }),
    0.35,
  ],
  ["Bulyan f = 3", () => new Bulyan({ numMaliciousNodes: BYZANTINE }), 0.35],
];

describe.each(Object.keys(attacks))("3 of 15 nodes Byzantine, attack: %s", (name) => {
  const attack = attacks[name]!;
  it("FedAvg is pulled far from the true model", async () => {
    const avg = flatResult((await configured(new FedAvg(), truth, 15)).aggregateTrain(1, round(attack, 1)))!;
    expect(error(avg)).toBeGreaterThan(2);
  });

  it.each(robust)("%s stays near it", async (_name, make, bound) => {
    for (const seed of [1, 2, 3]) {
      const result = flatResult(
        (await configured(make(), truth, 15)).aggregateTrain(1, round(attack, seed)),
      )!;
      expect(error(result)).toBeLessThan(bound);
    }
  });
});

describe("central norm clipping against a scaling attack", () => {
  it("bounds what the attackers move the FedAvg model by 3·C / 15", async () => {
    // global = truth; honest deltas are noise (norm ≈ 0.1·√40 ≈ 0.63), attackers' deltas ≈ 99·‖truth‖ ≫ C
    const C = 1;
    const strategy = await configured(new NormClipping(new FedAvg(), { clippingNorm: C }), truth, 15);
    const result = flatResult(strategy.aggregateTrain(1, round(attacks["scaling ×100"]!, 4)))!;
    expect(error(result)).toBeLessThan((BYZANTINE * C) / 15 + 0.1);
    expect(strategy.clipped.filter((c) => c.factor < 1).map((c) => c.nodeId)).toEqual(["0", "1", "2"]);
  });
});
