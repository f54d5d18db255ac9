import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildFlWeb, flWebDirectory } from "./build.ts";

const dir = await mkdtemp(join(tmpdir(), "flock-flweb-build-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("the browser FL client's build", () => {
  it("is built on first use when missing, once for concurrent callers, and kept afterwards", async () => {
    const out = join(dir, "dist");
    const [a, b] = await Promise.all([flWebDirectory(out), flWebDirectory(out)]);
    expect(a).toBe(out);
    expect(b).toBe(out);
    expect((await readdir(out)).sort()).toEqual([
      "app.js",
      "build.json",
      "index.html",
      "ort-wasm-simd-threaded.mjs",
      "ort-wasm-simd-threaded.wasm",
    ]);
    const built = (await stat(join(out, "app.js"))).mtimeMs;
    expect(await flWebDirectory(out)).toBe(out);
    expect((await stat(join(out, "app.js"))).mtimeMs).toBe(built);
  }, 60_000);

  it("is built again when a source file is newer than the build", async () => {
    const out = join(dir, "stale");
    await buildFlWeb({ outDir: out });
    const build = JSON.parse(await readFile(join(out, "build.json"), "utf8")) as {
      builtAt: string;
      inputs: string[];
    };
    expect(build.inputs).toContain("packages/flweb/src/page/app.ts");
    // As if app.ts had been edited after this build.
    await writeFile(
      join(out, "build.json"),
      JSON.stringify({ ...build, builtAt: "2000-01-01T00:00:00.000Z" }),
    );
    const before = (await stat(join(out, "app.js"))).mtimeMs;
    expect(await flWebDirectory(out)).toBe(out);
    expect((await stat(join(out, "app.js"))).mtimeMs).toBeGreaterThan(before);
    expect(Date.parse(JSON.parse(await readFile(join(out, "build.json"), "utf8")).builtAt)).toBeGreaterThan(
      Date.parse(build.builtAt) - 1,
    );
  }, 60_000);

  it("bundles the browser SecAgg+ primitives and ONNX Runtime Web, not node:crypto's or onnxruntime-node", async () => {
    const out = await flWebDirectory(join(dir, "dist"));
    const { inputs } = JSON.parse(await readFile(join(out, "build.json"), "utf8")) as { inputs: string[] };
    const has = (pattern: RegExp) => inputs.some((input) => pattern.test(input));
    expect(has(/packages\/fl\/src\/secagg\/primitives\.browser\.ts$/)).toBe(true);
    expect(has(/packages\/fl\/src\/secagg\/primitives\.node\.ts$/)).toBe(false);
    expect(has(/packages\/node\/src\/fl\/flParticipant\.ts$/)).toBe(true);
    expect(has(/packages\/node\/src\/fl\/flParticipantState\.ts$/)).toBe(false);
    expect(has(/onnxruntime-web\/dist\/ort\.wasm\.bundle\.min\.mjs$/)).toBe(true);
    expect(has(/onnxruntime-node/)).toBe(false);
    // node:crypto is the browser version (sha256, random bytes); other built-ins are stand-ins that throw.
    expect(has(/packages\/flweb\/src\/page\/nodeCrypto\.ts$/)).toBe(true);
  });
});
