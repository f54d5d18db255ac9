import { FlockError } from "@flock/core";
import { commandHint } from "./commandHints.ts";
import type { CliIo } from "./io.ts";
import { printLine } from "./progress.ts";

/** JSON with bigints as decimal strings (token amounts are bigint base units). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (typeof v === "bigint" ? v.toString() : v), 2);
}

/** How a command reports: human lines, or one JSON document on stdout with `--json`. */
export class Output {
  readonly io: CliIo;
  readonly json: boolean;

  constructor(io: CliIo, options: { json: boolean }) {
    this.io = io;
    this.json = options.json;
  }

  /** A command's result: `value` as JSON, or the human rendering. */
  result(value: unknown, human: () => string | readonly string[]): void {
    if (this.json) {
      this.io.stdout.write(`${toJson(value)}\n`);
      return;
    }
    const text = human();
    this.io.stdout.write(`${typeof text === "string" ? text : text.join("\n")}\n`);
  }

  /** A progress or status line for people (stderr, so `--json` stdout stays one document). */
  note(line: string): void {
    printLine(this.io, line);
  }

  /** An error as code, message and hint (or `{ error }` JSON on stdout with `--json`). */
  error(error: unknown): void {
    const flock = asFlockError(error);
    const hint = commandHint(flock);
    if (this.json) {
      this.io.stdout.write(
        `${toJson({ error: { ...flock.toJSON(), ...(hint === undefined ? {} : { hint }) } })}\n`,
      );
      return;
    }
    const lines = [`error ${flock.code}: ${flock.message}`];
    if (hint !== undefined) lines.push(`  hint: ${hint}`);
    this.io.stderr.write(`${lines.join("\n")}\n`);
  }
}

/** Every failure shown to a user has a code and a hint; unexpected errors get a generic one. */
export function asFlockError(error: unknown): FlockError {
  if (error instanceof FlockError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new FlockError("UNEXPECTED", message, {
    hint: "this is a bug or an environment problem; rerun with FLOCK_LOG=debug and report it",
    cause: error,
  });
}

/** A fixed-width table for human output. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
