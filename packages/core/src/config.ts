import { existsSync, readFileSync } from "node:fs";
import type { z } from "zod";
import { ConfigError } from "./errors.ts";

export interface LoadConfigOptions {
  /** Environment variables; defaults to `process.env`. */
  env?: Record<string, string | undefined>;
  /** Only variables starting with this prefix are read, e.g. `FLOCK_` (`FLOCK_API_PORT` → `apiPort`). */
  envPrefix?: string;
  /** A JSON config file; missing is fine when `fileOptional` is set. */
  file?: string;
  fileOptional?: boolean;
  /** Values given in code (e.g. from CLI flags); they win over env, which wins over the file. */
  overrides?: Record<string, unknown>;
}

/**
 * Load and validate configuration from a JSON file, the environment and explicit overrides (in rising
 * precedence). Environment names map to camelCase keys: `FLOCK_API_PORT` → `apiPort`. Schema coercion
 * turns env strings into numbers or booleans where the schema asks for them (`z.coerce.number()`).
 * Every problem is reported at once, with the key and where its value came from.
 */
export function loadConfig<S extends z.ZodType>(schema: S, options: LoadConfigOptions = {}): z.infer<S> {
  const sources: Record<string, string> = {};
  const raw: Record<string, unknown> = {};

  if (options.file !== undefined) {
    if (existsSync(options.file)) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(readFileSync(options.file, "utf8"));
      } catch (cause) {
        throw new ConfigError("CONFIG_FILE_INVALID", `config file ${options.file} is not valid JSON`, {
          hint: "fix the JSON syntax or remove the file",
          cause,
        });
      }
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new ConfigError("CONFIG_FILE_INVALID", `config file ${options.file} must hold a JSON object`);
      }
      for (const [key, value] of Object.entries(parsed)) {
        raw[key] = value;
        sources[key] = `file ${options.file}`;
      }
    } else if (!options.fileOptional) {
      throw new ConfigError("CONFIG_FILE_MISSING", `config file ${options.file} does not exist`, {
        hint: "create it or point to an existing file",
      });
    }
  }

  const prefix = options.envPrefix ?? "FLOCK_";
  for (const [name, value] of Object.entries(options.env ?? process.env)) {
    if (value === undefined || !name.startsWith(prefix)) continue;
    const key = envNameToKey(name.slice(prefix.length));
    raw[key] = value;
    sources[key] = `environment variable ${name}`;
  }

  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    if (value === undefined) continue;
    raw[key] = value;
    sources[key] = "option";
  }

  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.map(String).join(".");
    const from = sources[issue.path[0] as string] ?? "default";
    return `${key || "(root)"}: ${issue.message} (from ${from})`;
  });
  throw new ConfigError("CONFIG_INVALID", `invalid configuration:\n  ${problems.join("\n  ")}`, {
    hint: "fix the listed values in the environment or the config file",
    details: { problems },
  });
}

/** `API_PORT` → `apiPort`. */
export function envNameToKey(name: string): string {
  return name.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
