import { type Static, type TSchema, Type } from "typebox";

/**
 * The scalar shapes every wire type is built from. Amounts and scores are decimal strings (JSON numbers
 * cannot hold 18-decimal base units exactly, SPEC §3); times are ISO 8601 strings; ids are JSON integers.
 */

/** A sha256 content id (`sha256:` and 64 lowercase hex digits), as `contentId` makes it. */
export const ContentId = Type.Unsafe<`sha256:${string}`>(Type.String({ pattern: "^sha256:[0-9a-f]{64}$" }));
export type ContentId = Static<typeof ContentId>;
/** An EVM address; the coordinator answers lowercase. */
export const Address = Type.Unsafe<`0x${string}`>(Type.String({ pattern: "^0x[0-9a-fA-F]{40}$" }));
export type Address = Static<typeof Address>;
/** A 32-byte hash or root (report hash, Merkle roots, proof nodes). */
export const Hash32 = Type.Unsafe<`0x${string}`>(Type.String({ pattern: "^0x[0-9a-f]{64}$" }));
export type Hash32 = Static<typeof Hash32>;
/** Any 0x-prefixed hex (a transaction hash, a score commitment) whose length the wire does not fix. */
export const Hex = Type.Unsafe<`0x${string}`>(Type.String({ pattern: "^0x[0-9a-fA-F]*$" }));
export type Hex = Static<typeof Hex>;
/** A token amount or weight in base units (18 decimals), as a decimal string. */
export const Amount = Type.String({ pattern: "^[0-9]{1,78}$" });
/** A fixed-point score (1e18 = 1.0), signed, as a decimal string (protocol's scoreFromMetric). */
export const FixedPointScore = Type.String({ pattern: "^-?[0-9]{1,78}$" });
/** An instant, ISO 8601 (`Date.prototype.toISOString`). */
export const DateTime = Type.String({ format: "date-time" });

/** `schema` or JSON null. */
export function Nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()]);
}
