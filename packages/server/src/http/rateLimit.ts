import type { FlockError } from "@flock/core";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Clock } from "../deps.ts";
import { HttpError } from "./errorHandler.ts";

/** How many requests each client may send per window. */
export interface RateLimits {
  windowMs: number;
  /** Signed requests, counted per signer address (after the signature is verified). */
  perAccount: number;
  /** Unsigned requests and signed requests that failed authentication, counted per IP address. */
  perIp: number;
}

/**
 * Fixed-window request counters, one per key. Counters of a past window are dropped when a new window
 * starts, so memory is bounded by the clients of one window.
 */
export class RequestCounter {
  readonly #counts = new Map<string, number>();
  #window = -1;

  /** Count one request of `key`; returns the count in the current window including it. */
  hit(key: string, nowMs: number, windowMs: number): number {
    this.#roll(nowMs, windowMs);
    const count = (this.#counts.get(key) ?? 0) + 1;
    this.#counts.set(key, count);
    return count;
  }

  /** The count of `key` in the current window, without counting. */
  peek(key: string, nowMs: number, windowMs: number): number {
    this.#roll(nowMs, windowMs);
    return this.#counts.get(key) ?? 0;
  }

  /** Seconds until the current window ends (at least 1). */
  retryAfterSeconds(nowMs: number, windowMs: number): number {
    const windowEnd = (Math.floor(nowMs / windowMs) + 1) * windowMs;
    return Math.max(1, Math.ceil((windowEnd - nowMs) / 1000));
  }

  #roll(nowMs: number, windowMs: number): void {
    const window = Math.floor(nowMs / windowMs);
    if (window !== this.#window) {
      this.#window = window;
      this.#counts.clear();
    }
  }
}

function rateLimited(who: string, limit: number, windowMs: number, retryAfter: number): FlockError {
  return new HttpError(
    429,
    "RATE_LIMITED",
    `${who} sent more than ${limit} requests in ${windowMs / 1000} s`,
    {
      hint: `wait ${retryAfter} s (the retry-after header) and send fewer requests; the SDK retries reads after a 429 by itself`,
      details: { limit, windowMs, retryAfterSeconds: retryAfter },
    },
  );
}

/**
 * Per-client rate limits, answered 429 `RATE_LIMITED` with `retry-after`. A signed request is counted against
 * its signer once the signature is verified (a claimed address is not trusted before that, or anyone could
 * spend someone else's allowance); every other request — and every signed request refused by
 * authentication — is counted against the client's IP address.
 */
export function installRateLimits(app: FastifyInstance, limits: RateLimits, clock: Clock): void {
  const byIp = new RequestCounter();
  const byAccount = new RequestCounter();
  const now = () => clock.now().getTime();
  const refuse = (reply: FastifyReply, who: string, limit: number, counter: RequestCounter) => {
    const retryAfter = counter.retryAfterSeconds(now(), limits.windowMs);
    reply.header("retry-after", String(retryAfter));
    return rateLimited(who, limit, limits.windowMs, retryAfter);
  };

  app.addHook("onRequest", async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.routeOptions.config.auth === true) {
      // Counted by account after verification; an IP that already spent its allowance on failed
      // authentication is refused before any signature work.
      if (byIp.peek(request.ip, now(), limits.windowMs) >= limits.perIp) {
        throw refuse(reply, `${request.ip}`, limits.perIp, byIp);
      }
      return;
    }
    if (byIp.hit(request.ip, now(), limits.windowMs) > limits.perIp) {
      throw refuse(reply, `${request.ip}`, limits.perIp, byIp);
    }
  });
  // Runs after the authentication hook (hooks run in the order they are added).
  app.addHook("preHandler", async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.routeOptions.config.auth !== true || request.account === null) return;
    if (byAccount.hit(request.account, now(), limits.windowMs) > limits.perAccount) {
      throw refuse(reply, request.account, limits.perAccount, byAccount);
    }
  });
  app.addHook("onResponse", async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.routeOptions.config.auth === true && request.account === null && reply.statusCode === 401) {
      byIp.hit(request.ip, now(), limits.windowMs);
    }
  });
}
