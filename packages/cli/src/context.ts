import type { Command } from "commander";
import { ensureHome, type FlockHome, resolveHomePath } from "./home.ts";
import type { CliIo } from "./io.ts";
import { Output } from "./output.ts";

/** What every command handler gets: where to write, the home folder, and a signal that ends long runs. */
export interface CommandContext {
  io: CliIo;
  output: Output;
  home: FlockHome;
  /** Aborted on Ctrl-C (SIGINT) or SIGTERM. */
  signal: AbortSignal;
}

/** Build the context from the global options (`--home`, `--json`) of a parsed command. */
export function commandContext(command: Command, io: CliIo, signal: AbortSignal): CommandContext {
  const options = command.optsWithGlobals<{ home?: string; json?: boolean }>();
  const home = ensureHome(resolveHomePath(options.home, io.env));
  return { io, output: new Output(io, { json: options.json === true }), home, signal };
}
