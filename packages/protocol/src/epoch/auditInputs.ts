import { ValidationError } from "@flock/core";
import { normalizeAccount } from "../validate.ts";
import type { DrawSeedInput, ScoreRevealInput } from "./types.ts";

/**
 * Epoch inputs carried into the report only so that anyone can re-check them (SPEC §3: "every input"): the block
 * at which stakes were frozen, the block whose hash seeded the validator draw, the emission mint, and each
 * validator's signed score reveal. Their shapes are checked here; none of them changes any amount.
 */

const DECIMAL = /^(0|[1-9]\d*)$/;
const BYTES32 = /^0x[0-9a-fA-F]{64}$/;

/** A block number or mint index as a canonical decimal string (no sign, no leading zeros). */
export function readDecimalString(value: unknown, name: string): string {
  if (typeof value !== "string" || !DECIMAL.test(value)) {
    throw new ValidationError(
      "DECIMAL_STRING_INVALID",
      `${name} ${JSON.stringify(value)} is not a decimal number`,
      {
        hint: `write ${name} as a decimal string without sign or leading zeros, e.g. "1234"`,
      },
    );
  }
  return value;
}

/** The draw seed's block: decimal number and 0x-prefixed 32-byte hash (lowercased). */
export function readDrawSeed(value: DrawSeedInput, name: string): DrawSeedInput {
  if (typeof value !== "object" || value === null) {
    throw new ValidationError("DRAW_SEED_INVALID", `${name} is not an object`, {
      hint: "give the draw seed as { blockNumber: string, blockHash: 0x… (32 bytes) }",
    });
  }
  const blockNumber = readDecimalString(value.blockNumber, `${name}.blockNumber`);
  if (typeof value.blockHash !== "string" || !BYTES32.test(value.blockHash)) {
    throw new ValidationError(
      "BLOCK_HASH_INVALID",
      `${name}.blockHash ${JSON.stringify(value.blockHash)} is not a 32-byte hash`,
      { hint: "a block hash is 0x followed by 64 hex digits" },
    );
  }
  return { blockNumber, blockHash: value.blockHash.toLowerCase() };
}

const REVEAL_FIELDS = ["address", "timestamp", "nonce", "signature", "method", "path", "body"] as const;

/**
 * A validator's signed score-reveal request, kept verbatim (the audit re-verifies the signature over exactly these
 * strings). It must be signed by the validator whose score it reveals.
 */
export function readScoreReveal(
  value: ScoreRevealInput,
  validator: `0x${string}`,
  name: string,
): ScoreRevealInput {
  if (typeof value !== "object" || value === null) {
    throw new ValidationError("REVEAL_INVALID", `${name} is not an object`, {
      hint: `give the reveal request as { ${REVEAL_FIELDS.join(", ")} }, all strings`,
    });
  }
  for (const field of REVEAL_FIELDS) {
    if (typeof value[field] !== "string") {
      throw new ValidationError("REVEAL_INVALID", `${name}.${field} is not a string`, {
        hint: "copy the signed reveal request verbatim: headers and the raw body as strings",
      });
    }
  }
  if (normalizeAccount(value.address, `${name}.address`) !== validator) {
    throw new ValidationError(
      "REVEAL_SIGNER_MISMATCH",
      `${name} was sent by ${value.address}, not by the validator ${validator}`,
      { hint: "a score's reveal must be the request its own validator signed" },
    );
  }
  return Object.fromEntries(
    REVEAL_FIELDS.map((field) => [field, value[field]]),
  ) as unknown as ScoreRevealInput;
}
