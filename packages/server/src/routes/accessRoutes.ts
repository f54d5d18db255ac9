import { AuthError, NotFoundError, ValidationError, type wire } from "@flock/core";
import type { ApiKeyRecord, SubscriptionRecord, UsageRecord } from "@flock/store";
import type { FastifyInstance } from "fastify";
import type { ApiAccess } from "../access/apiAccess.ts";
import { generateApiKey } from "../access/apiKeySecret.ts";
import { usageCsv } from "../access/usageCsv.ts";
import { signerOf } from "../auth/authHook.ts";
import type { AppContext } from "../deps.ts";
import { errorResponses, idParamsSchema } from "../http/schemas.ts";
import { wireRef } from "../http/wireSchemas.ts";

export function apiKeyJson(key: ApiKeyRecord): wire.ApiKey {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    models: key.models,
    plan: key.plan,
    createdAt: key.createdAt.toISOString(),
    revokedAt: key.revokedAt === null ? null : key.revokedAt.toISOString(),
  };
}

export function usageJson(record: UsageRecord): wire.UsageRecord {
  return {
    id: record.id,
    keyId: record.keyId,
    account: record.account as wire.Address,
    model: record.model,
    promptTokens: record.promptTokens,
    completionTokens: record.completionTokens,
    cost: record.cost.toString(),
    billing: record.billing,
    createdAt: record.createdAt.toISOString(),
    epoch: record.epoch,
  };
}

function subscriptionJson(subscription: SubscriptionRecord, tokensUsed: number): wire.Subscription {
  return {
    id: subscription.id,
    account: subscription.account as wire.Address,
    plan: subscription.plan,
    fee: subscription.fee.toString(),
    tokenQuota: subscription.tokenQuota,
    tokensUsed,
    requestsPerMinute: subscription.requestsPerMinute,
    startsAt: subscription.startsAt.toISOString(),
    endsAt: subscription.endsAt.toISOString(),
  };
}

function planJson(plan: {
  name: string;
  fee: bigint;
  periodSeconds: number;
  tokenQuota: number;
  requestsPerMinute: number;
}): wire.Plan {
  return { ...plan, fee: plan.fee.toString() };
}

/** A time bound of a usage query: ISO 8601 or unix seconds. */
function timeBound(value: string | undefined, name: "from" | "to"): Date | undefined {
  if (value === undefined) return undefined;
  const time = /^[0-9]{1,12}$/.test(value) ? new Date(Number(value) * 1000) : new Date(value);
  if (Number.isNaN(time.getTime())) {
    throw new ValidationError("USAGE_RANGE_INVALID", `${name}=${JSON.stringify(value)} is not a time`, {
      hint: "give from and to as ISO 8601 (2026-01-31T00:00:00Z) or unix seconds",
      details: { param: name },
    });
  }
  return time;
}

const signed = { config: { auth: true } } as const;
const security = [{ flockSignature: [] }];

/**
 * Moonbase's paid access (SPEC §2.4), around the OpenAI-compatible API: API keys (created, listed and revoked
 * by signed requests of their owner), usage history per key (JSON or CSV), prices and plans (public; set by the
 * operator), and subscriptions (a plan's fee paid from the prepaid balance).
 */
export function registerAccessRoutes(app: FastifyInstance, ctx: AppContext, access: ApiAccess): void {
  /** The key `id`, if the signer owns it (403 NOT_KEY_OWNER otherwise: keys are private to their owner). */
  async function ownKey(id: number, signer: string): Promise<ApiKeyRecord> {
    const key = await ctx.repos.apiKeys.get(id);
    if (key.owner !== signer) {
      throw new AuthError("NOT_KEY_OWNER", `API key ${id} is not ${signer}'s`, {
        hint: "sign with the account that created the key; GET /keys lists yours",
        details: { keyId: id },
      });
    }
    return key;
  }

  app.post<{ Body: wire.CreateApiKeyRequest }>(
    "/keys",
    {
      ...signed,
      schema: {
        summary: "Create an API key for /v1 (signed by its owner); the secret is in this answer only",
        tags: ["access"],
        security,
        body: wireRef("CreateApiKeyRequest"),
        response: { 201: wireRef("CreatedApiKey"), ...errorResponses },
      },
    },
    async (request, reply) => {
      const owner = signerOf(request);
      const { name, models, plan } = request.body;
      if (models !== undefined && new Set(models).size !== models.length) {
        throw new ValidationError("API_KEY_SCOPE_INVALID", "models lists a model twice", {
          hint: "name each model the key may call once",
          details: { param: "models" },
        });
      }
      if (plan !== undefined) await ctx.repos.plans.getPlan(plan);
      const { secret, secretHash, prefix } = generateApiKey();
      const key = await ctx.repos.apiKeys.create({
        owner,
        name,
        prefix,
        secretHash,
        models: models ?? null,
        plan: plan ?? null,
      });
      ctx.logger.info({ keyId: key.id, owner, prefix }, "API key created");
      return reply.status(201).send({ key: apiKeyJson(key), secret });
    },
  );

  app.get(
    "/keys",
    {
      ...signed,
      schema: {
        summary: "The signer's API keys, oldest first (never their secrets)",
        tags: ["access"],
        security,
        response: { 200: wireRef("ApiKeys"), ...errorResponses },
      },
    },
    async (request) => ({
      items: (await ctx.repos.apiKeys.listByOwner(signerOf(request))).map(apiKeyJson),
    }),
  );

  app.delete<{ Params: { id: number } }>(
    "/keys/:id",
    {
      ...signed,
      schema: {
        summary: "Revoke an API key (signed by its owner): /v1 answers it 401 from now on",
        tags: ["access"],
        security,
        params: idParamsSchema,
        response: { 200: wireRef("ApiKey"), ...errorResponses },
      },
    },
    async (request) => {
      const key = await ownKey(request.params.id, signerOf(request));
      const revoked = await ctx.repos.apiKeys.revoke(key.id, ctx.clock.now());
      ctx.logger.info({ keyId: key.id, owner: key.owner }, "API key revoked");
      return apiKeyJson(revoked);
    },
  );

  app.get<{ Params: { id: number }; Querystring: { format?: "json" | "csv"; from?: string; to?: string } }>(
    "/keys/:id/usage",
    {
      ...signed,
      schema: {
        summary:
          "A key's usage history (signed by its owner): every billed call with its tokens, cost, model and time, in [from, to)",
        tags: ["access"],
        security,
        params: idParamsSchema,
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            format: { type: "string", enum: ["json", "csv"] },
            from: { type: "string", maxLength: 40 },
            to: { type: "string", maxLength: 40 },
          },
        },
        response: {
          200: {
            description: "The history: a UsageHistory, or CSV with a header row when format=csv",
            content: {
              "application/json": { schema: wireRef("UsageHistory") },
              "text/csv": { schema: { type: "string" } },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const key = await ownKey(request.params.id, signerOf(request));
      const from = timeBound(request.query.from, "from");
      const to = timeBound(request.query.to, "to");
      if (from !== undefined && to !== undefined && from >= to) {
        throw new ValidationError("USAGE_RANGE_INVALID", "from is not before to", {
          hint: "the range is [from, to): from must be earlier",
        });
      }
      const records = await ctx.repos.usage.listByKey(key.id, {
        ...(from === undefined ? {} : { from }),
        ...(to === undefined ? {} : { to }),
      });
      if (request.query.format === "csv") {
        return reply
          .header("content-type", "text/csv; charset=utf-8")
          .header("content-disposition", `attachment; filename="usage-key-${key.id}.csv"`)
          .send(usageCsv(records));
      }
      const history: wire.UsageHistory = {
        keyId: key.id,
        items: records.map(usageJson),
        totals: {
          requests: records.length,
          promptTokens: records.reduce((sum, r) => sum + r.promptTokens, 0),
          completionTokens: records.reduce((sum, r) => sum + r.completionTokens, 0),
          cost: records.reduce((sum, r) => sum + r.cost, 0n).toString(),
        },
      };
      return reply.header("content-type", "application/json; charset=utf-8").send(history);
    },
  );

  app.get(
    "/plans",
    {
      schema: {
        summary: "The subscription plans this coordinator offers",
        tags: ["access"],
        response: { 200: wireRef("Plans"), ...errorResponses },
      },
    },
    async () => ({ items: (await ctx.repos.plans.listPlans()).map(planJson) }),
  );

  app.get(
    "/prices",
    {
      schema: {
        summary: "Token prices per model (FLOCK base units per 1,000 tokens) and the default for the others",
        tags: ["access"],
        response: { 200: wireRef("ModelPrices"), ...errorResponses },
      },
    },
    async () => ({
      default: {
        promptPer1k: ctx.config.defaultPromptPricePer1k.toString(),
        completionPer1k: ctx.config.defaultCompletionPricePer1k.toString(),
      },
      items: (await ctx.repos.plans.listPrices()).map((p) => ({
        model: p.model,
        promptPer1k: p.promptPer1k.toString(),
        completionPer1k: p.completionPer1k.toString(),
      })),
    }),
  );

  async function assertOperator(signer: string): Promise<void> {
    if (signer !== ctx.chain.coordinator && !(await ctx.chain.isOperator(signer as `0x${string}`))) {
      throw new AuthError("NOT_OPERATOR", `${signer} holds no operator role`, {
        hint: "sign with an account holding the operator role (the network's admin on a local network: --account admin)",
        details: { account: signer },
      });
    }
  }

  app.put<{ Body: wire.SetModelPriceRequest }>(
    "/admin/prices",
    {
      ...signed,
      schema: {
        summary: "Set a model's token prices (signed by an operator or the coordinator)",
        tags: ["admin"],
        security,
        body: wireRef("SetModelPriceRequest"),
        response: { 200: wireRef("ModelPrices"), ...errorResponses },
      },
    },
    async (request) => {
      await assertOperator(signerOf(request));
      const { model, promptPer1k, completionPer1k } = request.body;
      await ctx.repos.plans.setPrice(model, {
        promptPer1k: BigInt(promptPer1k),
        completionPer1k: BigInt(completionPer1k),
      });
      return {
        default: {
          promptPer1k: ctx.config.defaultPromptPricePer1k.toString(),
          completionPer1k: ctx.config.defaultCompletionPricePer1k.toString(),
        },
        items: (await ctx.repos.plans.listPrices()).map((p) => ({
          model: p.model,
          promptPer1k: p.promptPer1k.toString(),
          completionPer1k: p.completionPer1k.toString(),
        })),
      };
    },
  );

  app.put<{ Body: wire.Plan }>(
    "/admin/plans",
    {
      ...signed,
      schema: {
        summary:
          "Create or change a plan (signed by an operator or the coordinator); a change applies to new subscriptions",
        tags: ["admin"],
        security,
        body: wireRef("Plan"),
        response: { 200: wireRef("Plan"), ...errorResponses },
      },
    },
    async (request) => {
      await assertOperator(signerOf(request));
      const plan = await ctx.repos.plans.upsertPlan({ ...request.body, fee: BigInt(request.body.fee) });
      return planJson(plan);
    },
  );

  app.post<{ Body: wire.SubscribeRequest }>(
    "/subscriptions",
    {
      ...signed,
      schema: {
        summary:
          "Subscribe the signer to a plan: its fee is paid from the prepaid balance, and keys with that plan bill its quota for the period",
        tags: ["access"],
        security,
        body: wireRef("SubscribeRequest"),
        response: { 201: wireRef("Subscription"), ...errorResponses },
      },
    },
    async (request, reply) => {
      const subscription = await access.meter.subscribe(signerOf(request), request.body.plan);
      return reply.status(201).send(subscriptionJson(subscription, 0));
    },
  );

  app.get(
    "/subscriptions/current",
    {
      ...signed,
      schema: {
        summary: "The signer's running subscription, with the tokens its period has used",
        tags: ["access"],
        security,
        response: { 200: wireRef("Subscription"), ...errorResponses },
      },
    },
    async (request) => {
      const account = signerOf(request);
      const subscription = await ctx.repos.plans.activeSubscription(account, ctx.clock.now());
      if (subscription === undefined) {
        throw new NotFoundError("SUBSCRIPTION_NOT_FOUND", `${account} has no running subscription`, {
          hint: "subscribe with POST /subscriptions {plan} (GET /plans lists them)",
        });
      }
      return subscriptionJson(subscription, await access.meter.planTokensUsed(subscription));
    },
  );
}
