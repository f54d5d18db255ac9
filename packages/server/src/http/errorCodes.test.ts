import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { ERROR_CODES, ERROR_KINDS, type ErrorKind, isErrorCode } from "@flock/core";
import { describe, expect, it } from "vitest";

const SOURCE = join(import.meta.dirname, "..");

/** Every non-test source file of the coordinator. */
async function sourceFiles(dir = SOURCE): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await sourceFiles(path)));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) files.push(path);
  }
  return files;
}

interface Thrown {
  code: string;
  /** The class constructed (FlockError subclasses, HttpError), or "body" for a literal error body. */
  as: string;
  file: string;
}

const CODE = `"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)"`;
/** `new SomeError("CODE", …)` and `new HttpError(status, "CODE", …)`, over line breaks. */
const CONSTRUCTED = new RegExp(String.raw`new\s+(\w*Error)\(\s*(?:[\w.]+\s*,\s*)?${CODE}`, "g");
/** `code: "CODE"` in an error body or a ternary choosing a code (`? "A" : "B"`). */
const LITERAL = new RegExp(String.raw`\bcode:\s*${CODE}`, "g");
const TERNARY = /const code\s*=[^;]*/g;

async function thrownCodes(): Promise<Thrown[]> {
  const found: Thrown[] = [];
  for (const path of await sourceFiles()) {
    if (path.includes("/testing/") || path.includes("/fuzz/")) continue;
    const text = await readFile(path, "utf8");
    const file = path.slice(SOURCE.length + 1);
    for (const m of text.matchAll(CONSTRUCTED)) found.push({ code: m[2]!, as: m[1]!, file });
    for (const m of text.matchAll(LITERAL)) found.push({ code: m[1]!, as: "body", file });
    for (const m of text.matchAll(TERNARY))
      for (const c of m[0].matchAll(new RegExp(String.raw`[?:]\s*${CODE}`, "g")))
        found.push({ code: c[1]!, as: "body", file });
  }
  return found;
}

/** Codes raised as two kinds on purpose (each answered by its class; see core's errorCodes.ts). */
const RAISED_AS_TWO_KINDS = new Set(["TASK_DEADLINE_PASSED"]);

describe("ERROR_CODES covers the coordinator", () => {
  it("every code the coordinator's source raises is in core's table", async () => {
    const thrown = await thrownCodes();
    // The scan finds the codes (a broken pattern would pass vacuously).
    expect(thrown.length).toBeGreaterThan(50);
    expect(thrown.map((t) => t.code)).toEqual(
      expect.arrayContaining([
        "STAKE_REQUIRED",
        "RATE_LIMITED",
        "ROUTE_NOT_FOUND",
        "BODY_TOO_LARGE",
        "UPLOAD_TIMEOUT",
      ]),
    );
    const missing = thrown.filter((t) => !isErrorCode(t.code)).map((t) => `${t.code} (${t.file})`);
    expect(missing).toEqual([]);
  });

  it("each code is raised as the kind the table names (or a subclass of it)", async () => {
    const mismatched: string[] = [];
    for (const t of await thrownCodes()) {
      if (!isErrorCode(t.code) || t.as === "body" || t.as === "HttpError") continue;
      if (RAISED_AS_TWO_KINDS.has(t.code)) continue;
      const tableKind: ErrorKind = ERROR_CODES[t.code].kind;
      const raised = (ERROR_KINDS as Record<string, (typeof ERROR_KINDS)[ErrorKind]>)[t.as];
      if (raised === undefined) continue;
      if (!(raised.prototype instanceof ERROR_KINDS[tableKind]) && raised !== ERROR_KINDS[tableKind])
        mismatched.push(`${t.code}: raised as ${t.as} in ${t.file}, the table says ${tableKind}`);
    }
    expect(mismatched).toEqual([]);
  });

  it("every entry's status is an HTTP error status", () => {
    for (const [code, entry] of Object.entries(ERROR_CODES)) {
      expect(entry.status, code).toBeGreaterThanOrEqual(400);
      expect(entry.status, code).toBeLessThan(600);
      expect(Object.keys(ERROR_KINDS), code).toContain(entry.kind);
    }
  });
});
