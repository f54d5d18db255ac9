import { readFileSync } from "node:fs";

/**
 * Version of the `@flock/contracts` package the ABIs and bytecode come from; recorded per contract in
 * deployment manifests (with the bytecode hash, which changes whenever the compiled code does).
 */
export const CONTRACTS_VERSION: string = (() => {
  // The package entry is src/index.ts, so its package.json is one folder up.
  const packageJson = new URL("../package.json", import.meta.resolve("@flock/contracts"));
  const pkg = JSON.parse(readFileSync(packageJson, "utf8")) as { version?: string };
  return pkg.version ?? "unknown";
})();
