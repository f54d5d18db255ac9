import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compileContracts, GENERATED_DIR, renderGeneratedModule } from "../scripts/compile.ts";
import { contractNames, flockArtifacts } from "../src/index.ts";

describe("generated ABIs and bytecode", () => {
  it("src/generated matches a fresh compilation of contracts/ (run `npm run build -w @flock/contracts` if not)", async () => {
    const compiled = await compileContracts();
    expect(compiled.map((c) => c.name)).toEqual([...contractNames]);
    for (const contract of compiled) {
      const committed = readFileSync(path.join(GENERATED_DIR, `${contract.name}.ts`), "utf8");
      expect(committed, `${contract.name}.ts is stale`).toBe(renderGeneratedModule(contract));
      expect(flockArtifacts[contract.name].bytecode).toBe(contract.bytecode);
    }
  }, 150_000);
});
