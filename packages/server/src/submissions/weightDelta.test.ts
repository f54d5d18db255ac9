import { describe, expect, it } from "vitest";
import { adapterFile, randomLora, reparametrize } from "../testing/loraFixtures.ts";
import { deltaCosine, loraWeightDelta } from "./weightDelta.ts";

describe("LoRA weight deltas", () => {
  it("the same update with re-parametrized factors has cosine 1 although the factors differ", () => {
    const original = randomLora(1);
    const disguised = reparametrize(original);
    expect(disguised[0]!.a).not.toEqual(original[0]!.a);
    const x = loraWeightDelta(adapterFile(original))!;
    const y = loraWeightDelta(adapterFile(disguised))!;
    expect(deltaCosine(x, y)).toBeGreaterThan(0.99999);
  });

  it("a slightly perturbed copy stays above 0.995 and an independent adapter is far below", () => {
    const original = loraWeightDelta(adapterFile(randomLora(1)))!;
    const perturbed = loraWeightDelta(adapterFile(reparametrize(randomLora(1), 0.001)))!;
    const independent = loraWeightDelta(adapterFile(randomLora(2)))!;
    expect(deltaCosine(original, perturbed)).toBeGreaterThanOrEqual(0.995);
    expect(deltaCosine(original, independent)).toBeLessThan(0.9);
  });

  it("is undefined for bytes that are not a LoRA safetensors file", () => {
    expect(loraWeightDelta(new TextEncoder().encode("not safetensors"))).toBeUndefined();
  });
});
