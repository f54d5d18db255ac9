import { AuthError } from "@flock/core";
import type { ApiKeyRecord } from "@flock/store";
import type { AppContext } from "../deps.ts";
import { hashApiKey } from "./apiKeySecret.ts";
import { KeyRateLimiter } from "./keyRateLimiter.ts";
import { Meter } from "./meter.ts";

/** Access to Moonbase's OpenAI-compatible API: who calls (their API key), how often, and who pays. */
export interface ApiAccess {
  /** Whether /v1 refuses calls without a key (`requireApiKey`). */
  required: boolean;
  meter: Meter;
  /**
   * The key a request presents (`Authorization: Bearer flk_…`), counted against its rate; null when it presents
   * none and none is required. Throws 401 API_KEY_REQUIRED / API_KEY_INVALID / API_KEY_REVOKED, or 429
   * API_KEY_RATE_LIMITED (with `retryAfterSeconds` in its details).
   */
  admit(authorization: string | undefined): Promise<ApiKeyRecord | null>;
  /** The registry id (models.id) of a served name's latest version, or null for a model outside the registry. */
  registryIdOf(model: string): Promise<number | null>;
}

declare module "fastify" {
  interface FastifyRequest {
    /** The API key a /v1 call presented (null: none, where none is required). */
    apiKey: ApiKeyRecord | null;
  }
}

const HINT =
  "create a key with a signed POST /keys (flock keys create) and send it as Authorization: Bearer <key>";

function invalidKey(
  code: "API_KEY_REQUIRED" | "API_KEY_INVALID" | "API_KEY_REVOKED",
  message: string,
): AuthError {
  return new AuthError(code, message, { hint: HINT, details: { openAiCode: "invalid_api_key" } });
}

/** Show at most the start of a presented secret in an error, as OpenAI does. */
function masked(secret: string): string {
  return secret.length <= 10 ? "***" : `${secret.slice(0, 8)}***${secret.slice(-4)}`;
}

export function createApiAccess(ctx: AppContext): ApiAccess {
  const limiter = new KeyRateLimiter();
  const meter = new Meter({
    db: ctx.db,
    repos: ctx.repos,
    clock: ctx.clock,
    defaultPrice: {
      promptPer1k: ctx.config.defaultPromptPricePer1k,
      completionPer1k: ctx.config.defaultCompletionPricePer1k,
    },
  });

  /** A key's requests per minute: its running subscription's, else its plan's, else the network default. */
  async function rateOf(key: ApiKeyRecord): Promise<number> {
    if (key.plan === null) return ctx.config.apiKeyRequestsPerMinute;
    const subscription = await ctx.repos.plans.activeSubscription(key.owner, ctx.clock.now());
    if (subscription !== undefined && subscription.plan === key.plan) return subscription.requestsPerMinute;
    return (await ctx.repos.plans.getPlan(key.plan)).requestsPerMinute;
  }

  return {
    required: ctx.config.requireApiKey,
    meter,
    async admit(authorization) {
      if (authorization === undefined || authorization.trim() === "") {
        if (!ctx.config.requireApiKey) return null;
        throw invalidKey(
          "API_KEY_REQUIRED",
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)",
        );
      }
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      if (match === null) {
        throw invalidKey("API_KEY_INVALID", "The Authorization header is not `Bearer <API key>`");
      }
      const secret = match[1]!;
      const key = await ctx.repos.apiKeys.bySecretHash(hashApiKey(secret));
      if (key === undefined)
        throw invalidKey("API_KEY_INVALID", `Incorrect API key provided: ${masked(secret)}`);
      if (key.revokedAt !== null) {
        throw invalidKey(
          "API_KEY_REVOKED",
          `The API key ${key.prefix}… was revoked at ${key.revokedAt.toISOString()}`,
        );
      }
      limiter.take(key.id, await rateOf(key), ctx.clock.now().getTime());
      return key;
    },
    async registryIdOf(model) {
      if (!/^[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*$/.test(model)) return null;
      return ctx.repos.models.get(model).then(
        (record) => record.id,
        () => null,
      );
    },
  };
}
