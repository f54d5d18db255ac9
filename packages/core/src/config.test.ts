import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { envNameToKey, loadConfig } from "./config.ts";
import { ConfigError, FlockError } from "./errors.ts";

const schema = z.object({
  apiPort: z.coerce.number().int().min(1).max(65535).default(8545),
  dataDir: z.string().default("/tmp/flock"),
  verbose: z.stringbool().default(false),
});

describe("loadConfig", () => {
  it("layers file < env < overrides and coerces env strings", () => {
    const dir = mkdtempSync(join(tmpdir(), "flock-config-"));
    const file = join(dir, "config.json");
    writeFileSync(file, JSON.stringify({ apiPort: 1000, dataDir: "/from/file" }));
    const config = loadConfig(schema, {
      file,
      env: { FLOCK_API_PORT: "2000", FLOCK_VERBOSE: "true", OTHER: "x" },
      overrides: { dataDir: "/from/flag" },
    });
    expect(config).toEqual({ apiPort: 2000, dataDir: "/from/flag", verbose: true });
  });

  it("reports every bad value with where it came from", () => {
    let error: unknown;
    try {
      loadConfig(schema, { env: { FLOCK_API_PORT: "99999", FLOCK_VERBOSE: "maybe" } });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/apiPort: .*environment variable FLOCK_API_PORT/);
    expect(message).toMatch(/verbose: .*environment variable FLOCK_VERBOSE/);
  });

  it("refuses a missing or malformed file", () => {
    expect(() => loadConfig(schema, { file: "/nonexistent/flock.json" })).toThrow(/does not exist/);
    const dir = mkdtempSync(join(tmpdir(), "flock-config-"));
    writeFileSync(join(dir, "bad.json"), "{not json");
    expect(() => loadConfig(schema, { file: join(dir, "bad.json") })).toThrow(/not valid JSON/);
    expect(loadConfig(schema, { file: "/nonexistent/flock.json", fileOptional: true, env: {} }).apiPort).toBe(
      8545,
    );
  });

  it("maps env names to camelCase keys", () => {
    expect(envNameToKey("API_PORT")).toBe("apiPort");
    expect(envNameToKey("DATABASE_URL")).toBe("databaseUrl");
  });
});

describe("FlockError", () => {
  it("carries code, hint, details and cause", () => {
    const cause = new Error("root");
    const error = new FlockError("X_FAILED", "x failed", { hint: "retry", details: { n: 1 }, cause });
    expect(error.toJSON()).toEqual({
      code: "X_FAILED",
      message: "x failed",
      hint: "retry",
      details: { n: 1 },
    });
    expect(error.cause).toBe(cause);
    expect(error).toBeInstanceOf(Error);
  });
});
