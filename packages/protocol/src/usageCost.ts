import { AmountError } from "@flock/core";

/** A model's price in FLOCK base units per 1,000 prompt tokens and per 1,000 completion tokens (SPEC §2.4). */
export interface TokenPrice {
  promptPer1k: bigint;
  completionPer1k: bigint;
}

/** ⌈a / b⌉ for a ≥ 0, b > 0. */
function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

/**
 * What a call costs, in FLOCK base units: each side of the call rounds up on its own, so a call is never
 * billed less than its tokens are worth and a single token is never free at a non-zero price.
 *
 *   cost = ⌈prompt_tokens · p / 1000⌉ + ⌈completion_tokens · c / 1000⌉
 *
 * @example usageCost({ promptPer1k: 3n, completionPer1k: 10n }, 1, 1) // 1n + 1n = 2n
 */
export function usageCost(price: TokenPrice, promptTokens: number, completionTokens: number): bigint {
  for (const [name, tokens] of [
    ["prompt tokens", promptTokens],
    ["completion tokens", completionTokens],
  ] as const) {
    if (!Number.isSafeInteger(tokens) || tokens < 0) {
      throw new AmountError("AMOUNT_NOT_INTEGER", `${name} must be a non-negative integer, got ${tokens}`, {
        hint: "token counts are whole numbers of tokens",
      });
    }
  }
  if (price.promptPer1k < 0n || price.completionPer1k < 0n) {
    throw new AmountError("AMOUNT_NEGATIVE", "a token price is negative", {
      hint: "prices are FLOCK base units per 1,000 tokens, zero or more",
    });
  }
  return (
    ceilDiv(BigInt(promptTokens) * price.promptPer1k, 1000n) +
    ceilDiv(BigInt(completionTokens) * price.completionPer1k, 1000n)
  );
}
