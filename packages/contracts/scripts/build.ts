/** `npm run build -w @flock/contracts`: compile and write `src/generated/<Name>.ts` for every contract. */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { compileContracts, GENERATED_DIR, renderGeneratedModule } from "./compile.ts";

const started = performance.now();
const compiled = await compileContracts({ force: process.argv.includes("--force") });
mkdirSync(GENERATED_DIR, { recursive: true });
for (const contract of compiled) {
  const file = path.join(GENERATED_DIR, `${contract.name}.ts`);
  writeFileSync(file, renderGeneratedModule(contract));
  const size = (contract.bytecode.length - 2) / 2;
  console.log(`${contract.name}: ${size} bytes of init code -> ${path.relative(process.cwd(), file)}`);
}
console.log(
  `compiled ${compiled.length} contracts in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
