import { type Static, Type } from "typebox";
import { Address, Amount, DateTime, Nullable } from "./primitives.ts";

/**
 * Moonbase's paid access (SPEC §2.4): API keys for the OpenAI-compatible API, prices, plans, subscriptions and
 * the usage history. Amounts are FLOCK base units as decimal strings.
 */

// --- Prepaid credit (the UsageCredits contract) ---

/**
 * `GET /credits/:account`: an account's prepaid usage credit. `deposited`, `withdrawn`, `charged` (usage collected
 * on-chain) and the pending withdrawal are the UsageCredits events the coordinator indexed; `onChainBalance` is the
 * contract's balance read now (deposited − withdrawn − charged once the index has caught up).
 */
export const CreditAccount = Type.Object(
  {
    account: Address,
    deposited: Amount,
    withdrawn: Amount,
    charged: Amount,
    /** Requested for withdrawal and not yet withdrawn ("0" without a request). */
    pendingWithdrawal: Amount,
    /** When the pending request may be withdrawn; null without one. */
    pendingAvailableAt: Nullable(DateTime),
    onChainBalance: Amount,
    /** Usage metered and not yet collected on-chain (Moonbase's API). */
    uncollected: Amount,
    /** deposited − withdrawn − charged − pendingWithdrawal − uncollected (floored at 0): what calls may spend. */
    spendable: Amount,
  },
  { $id: "CreditAccount" },
);
export type CreditAccount = Static<typeof CreditAccount>;

// --- API access: keys, prices, plans, subscriptions, usage ---

/** An API key as listed: never its secret, only the prefix it starts with. */
export const ApiKey = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    /** The first characters of the secret (`flk_AbCd…`), to recognise it by. */
    prefix: Type.String(),
    /** Registry names the key may call; null: every served model. */
    models: Nullable(Type.Array(Type.String())),
    /** The plan whose subscription its calls draw on; null: the owner's prepaid balance. */
    plan: Nullable(Type.String()),
    createdAt: DateTime,
    revokedAt: Nullable(DateTime),
  },
  { $id: "ApiKey" },
);
export type ApiKey = Static<typeof ApiKey>;

/** `POST /keys`: the new key with its secret, shown this once (the coordinator keeps only its sha256). */
export const CreatedApiKey = Type.Object(
  {
    key: ApiKey,
    /** `flk_` and 32 random bytes in base64url: send it as `Authorization: Bearer <secret>`. */
    secret: Type.String(),
  },
  { $id: "CreatedApiKey" },
);
export type CreatedApiKey = Static<typeof CreatedApiKey>;

/** `GET /keys`: the signer's keys, oldest first, revoked ones included. */
export const ApiKeys = Type.Object({ items: Type.Array(ApiKey) }, { $id: "ApiKeys" });
export type ApiKeys = Static<typeof ApiKeys>;

/** `POST /keys`. */
export const CreateApiKeyRequest = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    /** Registry names the key may call (absent: all). */
    models: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 120 }), { minItems: 1, maxItems: 100 }),
    ),
    /** Bill the key's calls to the owner's subscription of this plan instead of the prepaid balance. */
    plan: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { $id: "CreateApiKeyRequest", additionalProperties: false },
);
export type CreateApiKeyRequest = Static<typeof CreateApiKeyRequest>;

/** One billed call, or a subscription's fee (model null). */
export const UsageRecord = Type.Object(
  {
    id: Type.Integer(),
    keyId: Nullable(Type.Integer()),
    account: Address,
    model: Nullable(Type.String()),
    promptTokens: Type.Integer({ minimum: 0 }),
    completionTokens: Type.Integer({ minimum: 0 }),
    /** FLOCK base units. */
    cost: Amount,
    billing: Type.Enum(["balance", "plan", "subscription"], { type: "string" }),
    createdAt: DateTime,
    /** The epoch whose settlement collected it on-chain; null until then. */
    epoch: Nullable(Type.Integer()),
  },
  { $id: "UsageRecord" },
);
export type UsageRecord = Static<typeof UsageRecord>;

/** `GET /keys/:id/usage` (JSON): the key's records in the range, oldest first, and their totals. */
export const UsageHistory = Type.Object(
  {
    keyId: Type.Integer(),
    items: Type.Array(UsageRecord),
    totals: Type.Object({
      requests: Type.Integer(),
      promptTokens: Type.Integer(),
      completionTokens: Type.Integer(),
      cost: Amount,
    }),
  },
  { $id: "UsageHistory" },
);
export type UsageHistory = Static<typeof UsageHistory>;

/** A price per 1,000 prompt and per 1,000 completion tokens, FLOCK base units. */
export const TokenPrice = Type.Object({ promptPer1k: Amount, completionPer1k: Amount });
export type TokenPrice = Static<typeof TokenPrice>;

/** `GET /prices`: each priced model, and the network default for the others. */
export const ModelPrices = Type.Object(
  {
    default: TokenPrice,
    items: Type.Array(Type.Object({ model: Type.String(), promptPer1k: Amount, completionPer1k: Amount })),
  },
  { $id: "ModelPrices" },
);
export type ModelPrices = Static<typeof ModelPrices>;

/** `PUT /admin/prices` (operator). */
export const SetModelPriceRequest = Type.Object(
  { model: Type.String({ minLength: 1, maxLength: 120 }), promptPer1k: Amount, completionPer1k: Amount },
  { $id: "SetModelPriceRequest", additionalProperties: false },
);
export type SetModelPriceRequest = Static<typeof SetModelPriceRequest>;

/** A plan an operator offers: a fee per period for a token quota, at a request rate. */
export const Plan = Type.Object(
  {
    name: Type.String({ pattern: "^[a-z0-9][a-z0-9._-]{0,63}$" }),
    fee: Amount,
    periodSeconds: Type.Integer({ minimum: 1, maximum: 31_622_400 }),
    /** Prompt + completion tokens a subscription may use in its period. */
    tokenQuota: Type.Integer({ minimum: 0, maximum: 9_007_199_254_740_991 }),
    requestsPerMinute: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
  },
  { $id: "Plan", additionalProperties: false },
);
export type Plan = Static<typeof Plan>;

/** `GET /plans`. */
export const Plans = Type.Object({ items: Type.Array(Plan) }, { $id: "Plans" });
export type Plans = Static<typeof Plans>;

/** `POST /subscriptions`. */
export const SubscribeRequest = Type.Object(
  { plan: Type.String({ minLength: 1, maxLength: 64 }) },
  { $id: "SubscribeRequest", additionalProperties: false },
);
export type SubscribeRequest = Static<typeof SubscribeRequest>;

/** A paid subscription: the plan's terms as paid, its period and the tokens used so far. */
export const Subscription = Type.Object(
  {
    id: Type.Integer(),
    account: Address,
    plan: Type.String(),
    fee: Amount,
    tokenQuota: Type.Integer(),
    tokensUsed: Type.Integer(),
    requestsPerMinute: Type.Integer(),
    startsAt: DateTime,
    endsAt: DateTime,
  },
  { $id: "Subscription" },
);
export type Subscription = Static<typeof Subscription>;
