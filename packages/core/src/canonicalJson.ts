import { ValidationError } from "./errors.ts";

/**
 * Canonical JSON: object keys sorted by UTF-16 code unit order, no whitespace, bigints written as decimal
 * strings, `undefined` object members dropped. Two equal values always encode to the same bytes, so the
 * sha256 of the encoding identifies the value (epoch reports, task manifests).
 * Non-finite numbers, functions, symbols and cycles are rejected.
 */
export function canonicalJson(value: unknown): string {
  return encode(value, new Set());
}

function encode(value: unknown, seen: Set<object>): string {
  switch (typeof value) {
    case "bigint":
      return JSON.stringify(value.toString());
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) {
        throw new ValidationError("JSON_NON_FINITE", `cannot encode ${value} in canonical JSON`, {
          hint: "replace NaN and Infinity with null or a string before encoding",
        });
      }
      return JSON.stringify(value);
    case "object": {
      if (value === null) return "null";
      if (seen.has(value)) {
        throw new ValidationError("JSON_CYCLE", "cannot encode a cyclic structure in canonical JSON");
      }
      seen.add(value);
      let out: string;
      if (Array.isArray(value)) {
        out = `[${value.map((item) => (item === undefined ? "null" : encode(item, seen))).join(",")}]`;
      } else {
        const entries = Object.keys(value)
          .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
          .sort()
          .map((key) => `${JSON.stringify(key)}:${encode((value as Record<string, unknown>)[key], seen)}`);
        out = `{${entries.join(",")}}`;
      }
      seen.delete(value);
      return out;
    }
    default:
      throw new ValidationError("JSON_UNSUPPORTED", `cannot encode a ${typeof value} in canonical JSON`);
  }
}
