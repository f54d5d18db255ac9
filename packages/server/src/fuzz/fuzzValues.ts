import { contentId } from "@flock/core";

/**
 * Values a hostile client sends: extremes, the wrong types, text a database or a JSON round trip chokes on.
 * Raw JSON number tokens (`1e400`, `9007199254740993`) are kept as text so they reach the server as sent.
 */

/** A small, seedable PRNG (mulberry32): a fuzz run is repeatable from its seed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rng = () => number;
export const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;

/** A number that JSON.stringify cannot write; it is spliced into the body text as this token. */
export class RawNumber {
  readonly token: string;
  constructor(token: string) {
    this.token = token;
  }
}

export const HOSTILE_NUMBERS = [
  new RawNumber("1e400"),
  new RawNumber("-1e400"),
  new RawNumber("9007199254740993"),
  new RawNumber("99999999999999999999999"),
  2 ** 31,
  2 ** 31 - 1,
  -(2 ** 31) - 1,
  2 ** 53,
  Number.MAX_SAFE_INTEGER,
  -1,
  0,
  0.5,
  1e-300,
] as const;

export const HOSTILE_STRINGS = [
  "",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "x\udfffy",
  "😀",
  "Ω≈ç√∫",
  "'; drop table tasks; --",
  "../../etc/passwd",
  "%00",
  "Infinity",
  "NaN",
  "-0",
  "1e400",
  "2030-12-31T23:59:60Z",
  "2030-02-30T00:00:00Z",
  "0000-00-00T00:00:00Z",
  "+275760-09-13T00:00:00Z",
  "x".repeat(10_000),
  "0x",
  `0x${"f".repeat(40)}`,
  `sha256:${"0".repeat(64)}`,
  "sha256:",
] as const;

/** A value for a JSON schema: usually valid, often hostile. */
export function valueFor(schema: Record<string, unknown> | undefined, rng: Rng, depth = 0): unknown {
  const hostile = rng() < 0.3;
  if (hostile || schema === undefined || depth > 4) {
    return pick(rng, [
      ...HOSTILE_NUMBERS,
      ...HOSTILE_STRINGS,
      null,
      true,
      [],
      {},
      { nested: { deep: [1, "\u0000"] } },
    ]);
  }
  if (Array.isArray(schema.enum)) return pick(rng, schema.enum as unknown[]);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case "integer": {
      const min = typeof schema.minimum === "number" ? schema.minimum : 0;
      const max = typeof schema.maximum === "number" ? Math.min(schema.maximum, min + 1000) : min + 1000;
      return pick(rng, [min, max, Math.floor(min + rng() * (max - min + 1)), 1, 2]);
    }
    case "number":
      return rng() * 100;
    case "boolean":
      return rng() < 0.5;
    case "string":
      return stringFor(schema, rng);
    case "array":
      return Array.from({ length: Math.floor(rng() * 3) }, () =>
        valueFor(schema.items as Record<string, unknown>, rng, depth + 1),
      );
    case "object": {
      const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
      const out: Record<string, unknown> = {};
      for (const [name, property] of Object.entries(properties)) {
        if (rng() < 0.9) out[name] = valueFor(property, rng, depth + 1);
      }
      if (rng() < 0.1)
        out[pick(rng, ["extra", "\u0000", "__proto__", "constructor"])] = pick(rng, HOSTILE_STRINGS);
      return out;
    }
    default:
      return pick(rng, HOSTILE_STRINGS);
  }
}

function stringFor(schema: Record<string, unknown>, rng: Rng): string {
  const pattern = typeof schema.pattern === "string" ? schema.pattern : "";
  if (pattern.includes("sha256")) return contentId(String(Math.floor(rng() * 50)));
  if (pattern.includes("{40}"))
    return `0x${Math.floor(rng() * 2 ** 32)
      .toString(16)
      .padStart(40, "0")}`;
  if (pattern.includes("0-9]{1,78}")) return String(Math.floor(rng() * 1e6));
  if (schema.format === "date-time")
    return new Date(Date.now() + (rng() - 0.3) * 3_600_000 * 48).toISOString();
  return pick(rng, ["t", "a task", "x".repeat(Math.floor(rng() * 50)), "🚀 émoji"]);
}

/** JSON text of a value, with raw number tokens spliced in as written. */
export function jsonText(value: unknown): string {
  const tokens: string[] = [];
  const text = JSON.stringify(value, (_key, item) => {
    if (item instanceof RawNumber) {
      tokens.push(item.token);
      return `\u0001RAW${tokens.length - 1}\u0001`;
    }
    return item;
  });
  return (text ?? "null").replace(/"\\u0001RAW(\d+)\\u0001"/g, (_, i: string) => tokens[Number(i)]!);
}

/** A path or query segment for a value; lone surrogates become the bytes a hostile client sends (CESU-8). */
export function urlSegment(value: unknown): string {
  const text =
    value instanceof RawNumber ? value.token : typeof value === "string" ? value : JSON.stringify(value);
  let out = "";
  for (const char of text ?? "") {
    const unit = char.charCodeAt(0);
    if (char.length === 1 && unit >= 0xd800 && unit <= 0xdfff) {
      out +=
        `%${(0xe0 | (unit >> 12)).toString(16)}%${(0x80 | ((unit >> 6) & 0x3f)).toString(16)}%${(0x80 | (unit & 0x3f)).toString(16)}`.toUpperCase();
    } else {
      out += encodeURIComponent(char);
    }
  }
  return out;
}
