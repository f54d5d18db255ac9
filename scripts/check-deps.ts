/**
 * Dependency-direction check: fails when a package imports a package listed after it in LAYERS (or one it
 * is not allowed to use), or when any import cycle exists. Run with `npm run deps`.
 */
import { existsSync } from "node:fs";
import { cruise, type IForbiddenRuleType } from "dependency-cruiser";
import { LAYERS } from "./packages.ts";

const order = LAYERS.map((layer) => layer.name);
for (const layer of LAYERS) {
  for (const dep of layer.allowed) {
    if (order.indexOf(dep) >= order.indexOf(layer.name)) {
      throw new Error(
        `scripts/packages.ts: ${layer.name} may not be allowed ${dep}, which is listed after it`,
      );
    }
  }
}

const forbidden: IForbiddenRuleType[] = [
  {
    name: "no-circular",
    severity: "error",
    comment: "an import cycle is a bug: break it by moving the shared piece down a layer",
    from: {},
    to: { circular: true },
  },
];
for (const layer of LAYERS) {
  const disallowed = order.filter((name) => name !== layer.name && !layer.allowed.includes(name));
  if (disallowed.length === 0) continue;
  forbidden.push({
    name: `layer-${layer.name}`,
    severity: "error",
    comment: `${layer.name} may import only: ${layer.allowed.join(", ") || "nothing of ours"}`,
    from: { path: `^packages/${layer.name}/` },
    to: { path: `^(packages/(${disallowed.join("|")})/|@flock/(${disallowed.join("|")})(/|$))` },
  });
}

forbidden.push({
  name: "resolvable-flock-imports",
  severity: "error",
  comment: "an import of one of our packages must resolve, or the layer rules cannot see it",
  from: {},
  to: { couldNotResolve: true, path: "^@flock/" },
});

const roots = order.map((name) => `packages/${name}`).filter((dir) => existsSync(dir));
const result = await cruise(
  roots,
  {
    validate: true,
    ruleSet: { forbidden },
    exclude: { path: "(node_modules|/dist/|packages/contracts/(artifacts|cache)/)" },
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    outputType: "err",
  },
  {
    extensions: [".ts", ".tsx", ".js", ".mjs", ".json"],
    conditionNames: ["import", "default"],
    exportsFields: ["exports"],
    mainFields: ["main"],
  },
);

const output = typeof result.output === "string" ? result.output : JSON.stringify(result.output);
process.stdout.write(output.trim() ? `${output.trim()}\n` : "");
if (result.exitCode !== 0) {
  console.error(
    `dependency check failed: ${result.exitCode} violation(s) (see scripts/packages.ts for the layers)`,
  );
  process.exit(1);
}
console.log(`dependency check passed: ${roots.length} packages, layers respected, no cycles`);
