import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gradients } from "../autodiff/gradients.ts";
import { createRng, type Rng } from "../data/random.ts";
import { Graph, type Tensor } from "../graph/graph.ts";
import { interpret } from "../reference/interpret.ts";
import type { NDArray } from "../reference/ndarray.ts";
import { CompiledGraph } from "../runtime/compiledGraph.ts";
import { ortTensor } from "../runtime/ortTypes.ts";
import { opCases } from "../testing/opCases.ts";
import { exportOnnx } from "./exportOnnx.ts";

/** Each op case as a float32 graph whose outputs are the value and the gradients of Σ out ⊙ R. */
function caseGraph(name: string, rng: Rng): { graph: Graph; feeds: Record<string, NDArray> } {
  const c = opCases[name]!;
  const graph = new Graph(name.replace(/[^A-Za-z0-9]+/g, "_"));
  const tensors: Record<string, Tensor> = {};
  const feeds: Record<string, NDArray> = {};
  for (const [input, shape] of Object.entries(c.inputs)) {
    tensors[input] = graph.input(input, "float32", shape);
    const n = shape.reduce((a, b) => a * b, 1);
    const data = Float64Array.from({ length: n }, () => Math.fround(rng.nextNormal()));
    if (c.positive?.includes(input))
      data.forEach((v, i) => {
        data[i] = Math.fround(Math.abs(v) + 0.5);
      });
    feeds[input] = { shape, data };
  }
  const out = c.build(graph, tensors);
  const r = Float64Array.from({ length: out.shape.reduce<number>((a, d) => a * (d as number), 1) }, () =>
    rng.nextNormal(),
  );
  const loss = out.mul(graph.constant(r, out.shape as number[], "float32")).sum();
  graph.output("loss", loss);
  gradients(loss, Object.values(tensors)).forEach((g, i) => {
    graph.output(`grad_${Object.keys(tensors)[i]}`, g);
  });
  return { graph, feeds };
}

describe("ONNX export runs in ONNX Runtime and agrees with the reference interpreter", () => {
  const rng = createRng(11);
  for (const name of Object.keys(opCases)) {
    it(`forward and backward of ${name}`, async () => {
      const { graph, feeds } = caseGraph(name, rng);
      const compiled = await CompiledGraph.compile(graph);
      const ortFeeds = Object.fromEntries(
        compiled.model.inputs.map((i) => [
          i.name,
          ortTensor("float32", Float32Array.from(feeds[i.name]!.data), feeds[i.name]!.shape),
        ]),
      );
      const got = await compiled.run(ortFeeds);
      const want = interpret(
        graph,
        feeds,
        graph.outputs.map((o) => o.tensor),
      );
      graph.outputs.forEach((o, k) => {
        const a = got[o.name]!.data as Float32Array;
        const b = want[k]!.data;
        expect(a.length).toBe(b.length);
        for (let i = 0; i < a.length; i++)
          expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(2e-4 * Math.max(1, Math.abs(b[i]!)));
      });
      await compiled.release();
    });
  }
});

describe("exported graphs pass the official ONNX checker", () => {
  const python = ["/usr/bin/python3", "python3"].find((p) => {
    try {
      execFileSync(p, ["-c", "import onnx"], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  });
  // With CI set, a missing checker fails the test instead of skipping it.
  const onCi = process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false";
  it.skipIf(python === undefined && !onCi)(
    "every op case graph (with gradients) is a valid opset-17 model",
    () => {
      if (python === undefined)
        throw new Error("the ONNX checker (python3 with onnx: apt-get install python3-onnx) is missing");
      const dir = mkdtempSync(join(tmpdir(), "flock-onnx-"));
      try {
        const rng = createRng(3);
        const files = Object.keys(opCases).map((name, i) => {
          const file = join(dir, `case${i}.onnx`);
          writeFileSync(file, exportOnnx(caseGraph(name, rng).graph).bytes);
          return file;
        });
        const script =
          "import onnx,sys\nfor f in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(f), full_check=True)\nprint('ok', len(sys.argv)-1)";
        const out = execFileSync(python!, ["-c", script, ...files], { encoding: "utf8" });
        expect(out.trim()).toBe(`ok ${files.length}`);
      } finally {
        if (existsSync(dir)) rmSync(dir, { recursive: true });
      }
    },
  );
  if (python === undefined)
    console.warn(
      "python3-onnx is not installed: the ONNX checker test is skipped (apt-get install python3-onnx)",
    );
});

describe("runtime errors name the op and the line that built it", () => {
  it("mismatched batch sizes in an Add are reported with its source location", async () => {
    const graph = new Graph("bad");
    const x = graph.input("x", "float32", ["batch", 3]);
    const y = graph.input("y", "float32", ["batch", 3]);
    graph.output("z", x.add(y).mul(2));
    const compiled = await CompiledGraph.compile(graph);
    const error = await compiled
      .run({
        x: ortTensor("float32", new Float32Array(6), [2, 3]),
        y: ortTensor("float32", new Float32Array(9), [3, 3]),
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ENGINE_RUNTIME_FAILED" });
    expect(String((error as Error).message)).toMatch(/Add_0 made by exportOnnx\.test\.ts:\d+/);
  });
});
