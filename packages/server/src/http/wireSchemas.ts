import { wire } from "@flock/core";
import type { FastifyInstance } from "fastify";

/**
 * The wire types of `@flock/core` (one definition, shared with the SDK) as the coordinator's shared schemas:
 * each is registered under its `$id` before the routes, routes reference it with `wireRef`, and the OpenAPI
 * document names it in `components.schemas` (`wireSchemaReferences`) instead of inlining a copy per route.
 */

export type WireSchemaName = keyof typeof wire.WIRE_SCHEMAS;

/** A route schema's reference to a registered wire schema, e.g. `wireRef("Task")`. */
export function wireRef(name: WireSchemaName): { $ref: string } {
  return { $ref: `${name}#` };
}

/**
 * A copy of `schema` whose nested named schemas (a Claim inside EpochProofs) are references, so each `$id` is
 * declared once: Fastify's compilers refuse a second schema with an id already registered.
 */
function withNestedReferences(schema: unknown, top = true): unknown {
  if (Array.isArray(schema)) return schema.map((item) => withNestedReferences(item, false));
  if (typeof schema !== "object" || schema === null) return schema;
  const record = schema as Record<string, unknown>;
  if (!top && typeof record.$id === "string") return { $ref: `${record.$id}#` };
  return Object.fromEntries(
    Object.entries(record).map(([key, value]) => [key, withNestedReferences(value, false)]),
  );
}

/** Register every wire schema with the app (before the routes that reference them). */
export function registerWireSchemas(http: FastifyInstance): void {
  for (const schema of Object.values(wire.WIRE_SCHEMAS)) http.addSchema(withNestedReferences(schema));
}

/** @fastify/swagger's `refResolver`: a shared schema is named by its `$id` in `components.schemas`. */
export const wireSchemaReferences = {
  buildLocalReference(
    json: Record<string, unknown>,
    _baseUri: unknown,
    _fragment: string,
    i: number,
  ): string {
    return typeof json.$id === "string" ? json.$id : `def-${i}`;
  },
};
