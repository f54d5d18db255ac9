import { ValidationError } from "@flock/core";
import type { FastifyInstance, FastifyRequest } from "fastify";

/**
 * Every number, id, timestamp and string is checked at the edge, so nothing the database cannot hold (or hand
 * back) reaches it: a value that would overflow a column, a string PostgreSQL refuses, a date that is not a
 * date. Refusals are 400 `REQUEST_INVALID` naming the field.
 */

/** PostgreSQL `integer` (int4): the type of every id and count column. */
export const INT4_MAX = 2_147_483_647;
export const INT4_MIN = -2_147_483_648;

type Schema = Record<string, unknown>;

/**
 * Parsed data (JSON, query, path parameters: Fastify's null-prototype objects) as opposed to a stream or
 * another object a parser handed over, whose fields are not input.
 */
function isPlainData(value: object): boolean {
  if (Array.isArray(value)) return true;
  const prototype = Object.getPrototypeOf(value);
  return prototype === null || prototype === Object.prototype || Object.getPrototypeOf(prototype) === null;
}

/**
 * A copy of a request schema in which every integer without an explicit bound is bounded to int4 and every
 * number to the finite doubles. A field that needs more (an int8 column) declares its own `maximum` (at most
 * `Number.MAX_SAFE_INTEGER`: JSON numbers beyond it are not exact, and the value read back would not be
 * the value stored).
 */
export function boundedSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(boundedSchema);
  if (typeof schema !== "object" || schema === null) return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema as Schema)) {
    // `enum`/`const`/`default`/`examples` hold values, not schemas.
    out[key] = ["enum", "const", "default", "examples"].includes(key) ? value : boundedSchema(value);
  }
  const types = Array.isArray(out.type) ? out.type : [out.type];
  if (types.includes("integer")) {
    out.maximum ??= INT4_MAX;
    out.minimum ??= INT4_MIN;
  } else if (types.includes("number")) {
    out.maximum ??= Number.MAX_VALUE;
    out.minimum ??= -Number.MAX_VALUE;
  }
  return out;
}

/** Where a string breaks the rules PostgreSQL text (and JSON round trips) need: a NUL, a lone surrogate. */
export function badCharacter(text: string): "NUL" | "lone surrogate" | null {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit === 0) return "NUL";
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return "lone surrogate";
    }
    if (unit >= 0xdc00 && unit <= 0xdfff) return "lone surrogate";
  }
  return null;
}

/** The first string (key or value) in `value` with a bad character, with its path (`body.title`). */
export function findBadString(
  value: unknown,
  path: string,
  depth = 0,
): { field: string; problem: string } | null {
  if (typeof value === "string") {
    const problem = badCharacter(value);
    return problem === null ? null : { field: path, problem };
  }
  if (typeof value !== "object" || value === null || depth > 64) return null;
  // A streamed upload's body is a stream, not data to walk.
  if (!isPlainData(value)) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findBadString(value[i], `${path}[${i}]`, depth + 1);
      if (found !== null) return found;
    }
    return null;
  }
  for (const [key, item] of Object.entries(value)) {
    const keyProblem = badCharacter(key);
    if (keyProblem !== null) return { field: `${path} (a key)`, problem: keyProblem };
    const found = findBadString(item, `${path}.${key}`, depth + 1);
    if (found !== null) return found;
  }
  return null;
}

/** The first number in `value` that is not finite (ajv coerces the text `Infinity` to one), with its path. */
export function findNonFinite(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === "number") return Number.isFinite(value) ? null : path;
  if (typeof value !== "object" || value === null || depth > 64) return null;
  if (!isPlainData(value)) return null;
  for (const [key, item] of Object.entries(value)) {
    const found = findNonFinite(item, Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`, depth + 1);
    if (found !== null) return found;
  }
  return null;
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|([+-])(\d{2}):(\d{2}))$/;

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * RFC 3339 date-time that is a real instant: ajv's `date-time` lets leap seconds (`23:59:60`) through, which
 * JavaScript's Date cannot represent (Invalid Date), and a year PostgreSQL cannot store.
 */
export function isValidDateTime(text: string): boolean {
  const match = DATE_TIME.exec(text);
  if (match === null) return false;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return false;
  if (hour > 23 || minute > 59 || second > 59) return false;
  if (match[9] !== undefined && (Number(match[10]) > 23 || Number(match[11]) > 59)) return false;
  return Number.isFinite(Date.parse(text));
}

/** Fastify options that make ajv's `date-time` format the strict one above. */
export const strictFormatsAjvOptions = {
  onCreate: (ajv: {
    addFormat(name: string, format: { type: "string"; validate: (s: string) => boolean }): unknown;
  }) => {
    ajv.addFormat("date-time", { type: "string", validate: isValidDateTime });
  },
};

function refuse(field: string, problem: string): ValidationError {
  return new ValidationError("REQUEST_INVALID", `${field} contains a ${problem} character`, {
    hint: "send text without NUL bytes and with well-formed UTF-16 (no unpaired surrogates)",
    details: { field, problem },
  });
}

/** Check strings in the parsed body, the path parameters and the query before validation. */
export function installBoundedInput(app: FastifyInstance): void {
  app.addHook("onRoute", (route) => {
    const schema = route.schema as Schema | undefined;
    if (schema === undefined) return;
    for (const part of ["params", "querystring", "body", "headers"]) {
      if (schema[part] !== undefined) schema[part] = boundedSchema(schema[part]);
    }
  });
  app.addHook("preValidation", async (request: FastifyRequest) => {
    const parts: [string, unknown][] = [
      ["params", request.params],
      ["query", request.query],
      ["body", request.body],
    ];
    for (const [name, value] of parts) {
      const found = findBadString(value, name);
      if (found !== null) throw refuse(found.field, found.problem);
    }
  });
  // After validation (and its type coercion), before authentication and the handler.
  app.addHook("preHandler", async (request: FastifyRequest) => {
    const parts: [string, unknown][] = [
      ["params", request.params],
      ["query", request.query],
      ["body", request.body],
    ];
    for (const [name, value] of parts) {
      const field = findNonFinite(value, name);
      if (field !== null) {
        throw new ValidationError("REQUEST_INVALID", `${field} is not a finite number`, {
          hint: "send integers within the documented bounds (see /openapi.json)",
          details: { field },
        });
      }
    }
  });
}
