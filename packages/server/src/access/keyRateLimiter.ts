import { FlockError } from "@flock/core";

const MINUTE_MS = 60_000;

/**
 * Requests per minute per API key, over a sliding minute: a key that sent `limit` requests in the last 60 s waits
 * until the oldest of them is a minute old. Kept in memory (one coordinator answers /v1).
 */
export class KeyRateLimiter {
  readonly #sent = new Map<number, number[]>();

  /** Count a request of `keyId` at `nowMs`, or throw API_KEY_RATE_LIMITED with the seconds to wait. */
  take(keyId: number, limit: number, nowMs: number): void {
    const times = (this.#sent.get(keyId) ?? []).filter((t) => t > nowMs - MINUTE_MS);
    if (times.length >= limit) {
      const retryAfterSeconds = Math.max(1, Math.ceil((times[0]! + MINUTE_MS - nowMs) / 1000));
      this.#sent.set(keyId, times);
      throw new FlockError(
        "API_KEY_RATE_LIMITED",
        `Rate limit reached for API key ${keyId}: ${limit} requests per minute`,
        {
          hint: `wait ${retryAfterSeconds} s (the retry-after header), or subscribe to a plan with a higher rate`,
          details: { limit, retryAfterSeconds, openAiCode: "rate_limit_exceeded" },
        },
      );
    }
    times.push(nowMs);
    this.#sent.set(keyId, times);
  }
}
