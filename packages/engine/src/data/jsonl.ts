import { ValidationError } from "@flock/core";

/** One problem found on one line of a JSONL file. */
export interface JsonlProblem {
  /** 1-based line number in the file. */
  line: number;
  message: string;
}

/** Most problems listed in one error; the count of all of them is still reported. */
const MAX_LISTED = 20;

/**
 * Parse each non-blank line of a JSONL text with `parseRow`, collecting every bad line instead of
 * dropping it; if any line is bad, throw one ValidationError naming the lines and what was wrong.
 */
export function parseJsonlRows<T>(
  text: string,
  parseRow: (value: unknown) => T,
  what: { code: string; format: string; hint: string },
): T[] {
  const rows: T[] = [];
  const problems: JsonlProblem[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, "");
    if (raw.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      problems.push({ line: i + 1, message: `not valid JSON (${(error as Error).message})` });
      continue;
    }
    try {
      rows.push(parseRow(value));
    } catch (error) {
      if (!(error instanceof RowError)) throw error;
      problems.push({ line: i + 1, message: error.message });
    }
  }
  if (problems.length > 0) {
    const listed = problems.slice(0, MAX_LISTED).map((p) => `line ${p.line}: ${p.message}`);
    const more = problems.length > MAX_LISTED ? `\n… and ${problems.length - MAX_LISTED} more` : "";
    throw new ValidationError(
      what.code,
      `${problems.length} invalid ${what.format} line${problems.length === 1 ? "" : "s"}:\n${listed.join("\n")}${more}`,
      { hint: what.hint, details: { problems } },
    );
  }
  return rows;
}

/** A problem with one row's content; `parseJsonlRows` attaches the line number and the format's hint. */
export class RowError extends ValidationError {
  override readonly name: string = "RowError";
  constructor(message: string) {
    super("INVALID_ROW", message, { hint: "fix this row so it matches the expected JSONL format" });
  }
}

/** `value` as a plain object, or a RowError naming `where`. */
export function asObject(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RowError(
      `${where} must be a JSON object, got ${Array.isArray(value) ? "an array" : typeof value}`,
    );
  }
  return value as Record<string, unknown>;
}
