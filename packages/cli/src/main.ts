import { CommanderError } from "commander";
import { type CliIo, processIo } from "./io.ts";
import { Output } from "./output.ts";
import { buildProgram } from "./program.ts";
import { UsageError } from "./usageError.ts";

export interface MainOptions {
  /** Ends long-running commands (`flock up`); by default SIGINT and SIGTERM do. */
  signal?: AbortSignal;
}

/** Run the flock command with `argv` (without node and the script); resolves to the exit code. */
export async function main(
  argv: readonly string[],
  io: CliIo = processIo(),
  options: MainOptions = {},
): Promise<number> {
  const json = argv.includes("--json");
  const output = new Output(io, { json });
  let signal = options.signal;
  let detach = () => {};
  if (signal === undefined) {
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    detach = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
    };
    signal = controller.signal;
  }
  const program = buildProgram(io, signal);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === "commander.helpDisplayed" ||
        error.code === "commander.version" ||
        error.exitCode === 0
      )
        return 0;
      // `flock` or `flock task` alone: the help was the answer, there is nothing else to report.
      if (error.code === "commander.help") return 2;
      const known = new Set(program.commands.map((c) => c.name()));
      const command = error.code === "commander.unknownCommand" ? undefined : argv.find((a) => known.has(a));
      output.error(
        new UsageError(
          error.message.replace(/^error: /, ""),
          `run \`flock ${command === undefined ? "" : `${command} `}--help\``,
        ),
      );
      return 2;
    }
    output.error(error);
    return error instanceof UsageError ? 2 : 1;
  } finally {
    detach();
  }
}
