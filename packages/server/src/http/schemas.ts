/** JSON schemas shared by routes (they also become the OpenAPI document's components). */

export const contentIdSchema = { type: "string", pattern: "^sha256:[0-9a-f]{64}$" } as const;
export const addressSchema = { type: "string", pattern: "^0x[0-9a-fA-F]{40}$" } as const;
/** Token amounts travel as decimal strings of base units (18 decimals): JSON numbers cannot hold them. */
export const amountSchema = { type: "string", pattern: "^[0-9]{1,78}$" } as const;
export const dateTimeSchema = { type: "string", format: "date-time" } as const;
export const idParamsSchema = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "integer", minimum: 1 } },
} as const;

export const errorBodySchema = {
  type: "object",
  required: ["code", "kind", "message"],
  properties: {
    code: { type: "string" },
    /** The FlockError class (ValidationError, ConflictError, …), so clients rebuild the same kind of error. */
    kind: { type: "string" },
    message: { type: "string" },
    hint: { type: "string" },
    details: { type: "object", additionalProperties: true },
  },
} as const;

/** Declared error responses, so the OpenAPI document shows the error body. */
export const errorResponses = { "4xx": errorBodySchema, "5xx": errorBodySchema } as const;

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
