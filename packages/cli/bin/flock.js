#!/usr/bin/env node
// The flock command. Node ≥ 22.18 runs our TypeScript sources directly (type stripping).
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(
    `flock needs Node.js 22.18 or newer; this is ${process.version}. Install Node 22 (see .nvmrc) and retry.`,
  );
  process.exit(1);
}
const { main } = await import("../src/main.ts");
process.exitCode = await main(process.argv.slice(2));
