import { copyFile, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

/** The folder the coordinator serves the page from (git-ignored; built by `buildFlWeb`). */
export const FLWEB_DIST = fileURLToPath(new URL("../dist/", import.meta.url));
const PAGE = fileURLToPath(new URL("./page/", import.meta.url));
/** The repository root: the bundle's input paths in build.json are relative to it. */
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
/** The ONNX Runtime Web files the page loads next to app.js (single-threaded SIMD WASM). */
const ORT_FILES = ["ort-wasm-simd-threaded.wasm", "ort-wasm-simd-threaded.mjs"];

/** Browser versions of the few Node built-in functions the participant's path calls (sha256, random bytes). */
const SHIMS: Record<string, string> = { "node:crypto": join(PAGE, "nodeCrypto.ts") };

/**
 * Node built-ins in the browser bundle: modules of the shared packages import them (file loaders, worker
 * pools, the Node SecAgg+ primitives' siblings) without the participant's path calling them. Each is bundled
 * as a stand-in with the module's real export names whose every function throws FL_WEB_NODE_ONLY, so a path
 * that reached one would fail loudly; `SHIMS` gives the few functions that are called a browser version.
 */
const nodeBuiltins: Plugin = {
  name: "node-builtins",
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: "node-builtin" }));
    b.onLoad({ filter: /.*/, namespace: "node-builtin" }, async (args) => {
      const real = Object.keys(await import(args.path)).filter((name) => /^[A-Za-z_$][\w$]*$/.test(name));
      const shim = SHIMS[args.path];
      const shimmed = shim === undefined ? [] : Object.keys(await import(shim));
      const lines = [
        `const fail = (name) => { throw Object.assign(new Error(${JSON.stringify(args.path)} + "." + name + " is not available in the browser"), { code: "FL_WEB_NODE_ONLY" }); };`,
        `const stub = (name) => new Proxy(function () {}, { get: (_, key) => key === "then" ? undefined : stub(name + "." + String(key)), apply: () => fail(name), construct: () => fail(name) });`,
        ...real
          .filter((n) => n !== "default" && !shimmed.includes(n))
          .map((n) => `export const ${n} = stub(${JSON.stringify(n)});`),
        ...(shim === undefined ? [] : [`export { ${shimmed.join(", ")} } from ${JSON.stringify(shim)};`]),
        `export default stub("default");`,
      ];
      return { loader: "js", contents: lines.join("\n"), resolveDir: PAGE };
    });
  },
};

export interface BuildFlWebOptions {
  /** Output folder (default: the package's dist/). */
  outDir?: string;
  /** Minify app.js (default true). */
  minify?: boolean;
}

/**
 * Bundle the page into `outDir`: index.html, app.js (the participant loop, the SDK, SecAgg+ with the browser
 * primitives, the engine over onnxruntime-web) and ONNX Runtime Web's WASM files. Written to a temp folder
 * first and renamed, so a server never serves half a build.
 */
export async function buildFlWeb(options: BuildFlWebOptions = {}): Promise<string> {
  const outDir = options.outDir ?? FLWEB_DIST;
  const temp = `${outDir.replace(/\/$/, "")}.tmp-${process.pid}`;
  await rm(temp, { recursive: true, force: true });
  await mkdir(temp, { recursive: true });
  // A source changed while this build runs is newer than the build, so the next check rebuilds.
  const started = new Date();
  const result = await build({
    metafile: true,
    absWorkingDir: ROOT,
    entryPoints: [join(PAGE, "app.ts")],
    outfile: join(temp, "app.js"),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: options.minify ?? true,
    sourcemap: false,
    logLevel: "silent",
    conditions: ["browser"],
    alias: { "onnxruntime-node": "onnxruntime-web/wasm" },
    define: { "process.env": "{}", global: "globalThis" },
    plugins: [nodeBuiltins],
  });
  await copyFile(join(PAGE, "index.html"), join(temp, "index.html"));
  const ortDist = dirname(createRequire(import.meta.url).resolve("onnxruntime-web/wasm"));
  for (const file of ORT_FILES) await copyFile(join(ortDist, file), join(temp, file));
  // What went into app.js (source paths relative to the repository), for a check of what the page runs.
  const inputs = Object.keys(result.metafile.inputs).sort();
  await writeFile(
    join(temp, "build.json"),
    `${JSON.stringify({ builtAt: started.toISOString(), inputs }, null, 1)}\n`,
  );
  await rm(outDir, { recursive: true, force: true });
  await rename(temp, outDir);
  return outDir;
}

/** Whether a build in `outDir` exists and is newer than every source file that went into it. */
async function upToDate(outDir: string): Promise<boolean> {
  try {
    const { builtAt, inputs } = JSON.parse(await readFile(join(outDir, "build.json"), "utf8")) as {
      builtAt: string;
      inputs: string[];
    };
    await stat(join(outDir, "app.js"));
    const built = Date.parse(builtAt);
    for (const input of inputs) {
      if (input.includes(":")) continue; // a stand-in for a Node built-in
      if ((await stat(join(ROOT, input))).mtimeMs > built) return false;
    }
    return true;
  } catch {
    return false;
  }
}

const ready = new Map<string, Promise<string>>();

/**
 * The page's folder, built first when it is missing (a fresh clone) or older than one of its source files:
 * what the coordinator serves. Checked and built once per process and folder, also when many requests ask at
 * once (`npm run build -w @flock/flweb` rebuilds by hand).
 */
export function flWebDirectory(outDir: string = FLWEB_DIST): Promise<string> {
  let promise = ready.get(outDir);
  if (promise === undefined) {
    promise = upToDate(outDir).then((fresh) => (fresh ? outDir : buildFlWeb({ outDir })));
    // A failed build is tried again by the next request.
    promise.catch(() => ready.delete(outDir));
    ready.set(outDir, promise);
  }
  return promise;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  const out = await buildFlWeb();
  console.log(`flweb: built ${out} in ${Date.now() - started} ms`);
}
