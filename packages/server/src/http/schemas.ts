/** JSON schemas shared by routes; the wire types themselves are core's (`wireSchemas.ts`). */
import { wire } from "@flock/core";
import { wireRef } from "./wireSchemas.ts";

export const contentIdSchema = wire.ContentId;
export const addressSchema = wire.Address;
/** Token amounts travel as decimal strings of base units (18 decimals): JSON numbers cannot hold them. */
export const amountSchema = wire.Amount;
export const dateTimeSchema = wire.DateTime;
export const idParamsSchema = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "integer", minimum: 1 } },
} as const;

/** Declared error responses (core's ErrorBody), so the OpenAPI document shows the error body. */
export const errorResponses = { "4xx": wireRef("ErrorBody"), "5xx": wireRef("ErrorBody") } as const;

/** A success answer whose body is raw bytes (an artifact), for the OpenAPI document. */
export const binaryResponse = {
  description: "The bytes, exactly as stored (their sha256 is the content id in `x-flock-content-id`)",
  content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
} as const;

/** A success answer that is a JSON document sent byte for byte as stored (a canonical epoch report). */
export const jsonDocumentResponse = {
  description: "The JSON document, byte for byte as stored",
  content: { "application/json": { schema: { type: "object", additionalProperties: true } } },
} as const;
