/**
 * @flock/cli — the `flock` command. `main(argv)` runs it (bin/flock.js is a two-line launcher); the pieces
 * below let other tools start an embedded network or run the demo programmatically.
 */
export { auditEpoch } from "./commands/audit.ts";
export { DEFAULT_DEMO, type DemoSettings, QUICK_DEMO } from "./demo/demoSettings.ts";
export { type DemoReport, renderDemoReport, runDemo } from "./demo/runDemo.ts";
export { ensureHome, type FlockHome, homeLayout, resolveHomePath } from "./home.ts";
export { bufferIo, type CliIo, processIo } from "./io.ts";
export { main } from "./main.ts";
export { type EmbeddedNetwork, startEmbeddedNetwork } from "./network/embeddedNetwork.ts";
export { buildProgram } from "./program.ts";
