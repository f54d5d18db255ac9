import { describe, expect, it } from "vitest";
import { createRng } from "../data/random.ts";
import { initTabularMlp } from "../nn/tabularMlp.ts";
import { writeSafetensors } from "./safetensors.ts";
import { readTabularModel, writeTabularModel } from "./tabularModelFile.ts";

const spec = {
  config: { kind: "classifier" as const, numFeatures: 3, hidden: [4], numClasses: 2 },
  features: ["a", "b", "c"],
  label: "y",
};

describe("tabular model file", () => {
  it("round-trips the spec and weights", () => {
    const params = initTabularMlp(spec.config, createRng(1));
    const back = readTabularModel(writeTabularModel(spec, params));
    expect(back.spec).toEqual(spec);
    expect([...back.params.keys()]).toEqual([...params.keys()]);
    expect([...back.params.get("layers.0.weight")!.data]).toEqual([...params.get("layers.0.weight")!.data]);
  });
  it("refuses weights that do not match the config, a file without the spec, and a malformed spec", () => {
    const params = initTabularMlp({ ...spec.config, hidden: [5] }, createRng(1));
    expect(() => writeTabularModel(spec, params)).toThrow(/lack layers.0.weight/);
    expect(() => readTabularModel(writeSafetensors({}, {}))).toThrow(/no flock.tabular/);
    expect(() =>
      writeTabularModel({ ...spec, features: ["a"] }, initTabularMlp(spec.config, createRng(1))),
    ).toThrow(/malformed/);
  });
});
