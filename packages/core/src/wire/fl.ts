import { type Static, Type } from "typebox";
import { Address, Amount, ContentId, DateTime, Hash32, Nullable } from "./primitives.ts";

/**
 * FL Alliance on the network (SPEC §2.2): federated tasks, their rounds, and the messages a participant
 * receives and answers. The coordinator runs `@flock/fl`'s strategies over a network grid; a participant
 * polls its messages (`GET /fl/tasks/:id/messages`), trains or evaluates on its own data, and answers each
 * (`POST /fl/tasks/:id/messages/:messageId/reply`). Its data never leaves it: only arrays (or, under
 * secure aggregation, masked vectors) and metrics travel.
 */

const INT4_MAX = 2_147_483_647;

/** What a federated task fine-tunes: a LoRA adapter of a language model, or a tabular MLP. */
export const FL_MODEL_TYPES = ["lm-lora", "classifier", "regressor"] as const;
export const FlModelType = Type.Enum(FL_MODEL_TYPES, { type: "string" });
export type FlModelType = Static<typeof FlModelType>;

/** plain: the coordinator sees each update; secagg: only masked vectors and their sum; secagg+dp: and noise. */
export const FL_PRIVACY_MODES = ["plain", "secagg", "secagg+dp"] as const;
export const FlPrivacyMode = Type.Enum(FL_PRIVACY_MODES, { type: "string" });
export type FlPrivacyMode = Static<typeof FlPrivacyMode>;

/** stake: a round's reward pro-rata stake [FLock]; contribution: proposers by their value in the round. */
export const FL_PAY_RULES = ["stake", "contribution"] as const;
export const FlPayRule = Type.Enum(FL_PAY_RULES, { type: "string" });
export type FlPayRule = Static<typeof FlPayRule>;

/**
 * draft (waits for funding) → open (participants join, until the join deadline) → running (rounds) →
 * finished (last round played) → closed (settled); a draft withdrawn before it opens, or a task that
 * found too few participants at its join deadline, is `cancelled`.
 */
export const FL_TASK_STATUSES = ["draft", "open", "running", "finished", "closed", "cancelled"] as const;
export const FlTaskStatus = Type.Enum(FL_TASK_STATUSES, { type: "string" });
export type FlTaskStatus = Static<typeof FlTaskStatus>;

/**
 * training (proposers train) → voting (voters commit their votes) → revealing (voters reveal) →
 * accepted | rejected (the vote's outcome, rewards and slashes recorded); `failed`: no usable update or no
 * vote before the deadline (nobody paid, nobody slashed for it, the round is played again).
 */
export const FL_ROUND_STATUSES = [
  "training",
  "voting",
  "revealing",
  "accepted",
  "rejected",
  "failed",
] as const;
export const FlRoundStatus = Type.Enum(FL_ROUND_STATUSES, { type: "string" });
export type FlRoundStatus = Static<typeof FlRoundStatus>;

/** Scalars sent with messages and strategy parameters (Flower's ConfigRecord). */
export const FlConfig = Type.Record(
  Type.String({ maxLength: 64 }),
  Type.Union([Type.Number(), Type.String({ maxLength: 200 }), Type.Boolean()]),
);
export type FlConfig = Static<typeof FlConfig>;

/** Metrics a node reports or a round records. */
export const FlMetrics = Type.Record(Type.String({ maxLength: 64 }), Type.Number());
export type FlMetrics = Static<typeof FlMetrics>;

/** The aggregation strategy by its registry name (`@flock/fl` STRATEGIES) and its parameters. */
export const FlStrategy = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    params: Type.Optional(FlConfig),
  },
  { additionalProperties: false },
);
export type FlStrategy = Static<typeof FlStrategy>;

/** The privacy mode and, with DP, the budget the task may spend (ε at δ) and the clipping norm. */
export const FlPrivacy = Type.Object(
  {
    mode: FlPrivacyMode,
    targetEpsilon: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1000 })),
    delta: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 })),
    clipNorm: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1e6 })),
  },
  { additionalProperties: false },
);
export type FlPrivacy = Static<typeof FlPrivacy>;

/** `POST /fl/tasks`: what a creator posts. */
export const CreateFlTaskRequest = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.String({ maxLength: 10_000 }),
    modelType: FlModelType,
    /** The initial global model: a published artifact (safetensors with the model's config in its metadata). */
    baseModel: ContentId,
    rounds: Type.Integer({ minimum: 1, maximum: 1000 }),
    roundSeconds: Type.Integer({ minimum: 5, maximum: 7 * 86_400 }),
    minParticipants: Type.Integer({ minimum: 2, maximum: 10_000 }),
    maxParticipants: Type.Integer({ minimum: 2, maximum: 10_000 }),
    /** Participants join (stake on-chain and POST /join) until then; the first round starts at it. */
    joinDeadline: DateTime,
    /** The emission weight asked for (≤ 1,000,000): paid once an operator approves it. */
    rewardWeight: Amount,
    /** FLOCK base units the creator funds on-chain (RewardDistributor.fundTask) before the task opens. */
    pool: Type.Optional(Amount),
    minStake: Amount,
    minLockDays: Type.Integer({ minimum: 0, maximum: 365 }),
    strategy: FlStrategy,
    privacy: FlPrivacy,
    payRule: FlPayRule,
    /** Share of a round's participants drawn as proposers, bps (default 5000). */
    proposerFractionBps: Type.Optional(Type.Integer({ minimum: 1, maximum: 9999 })),
    /** Sent with every training message: learningRate, localEpochs, batchSize, proximalMu, … */
    trainConfig: Type.Optional(FlConfig),
  },
  { $id: "CreateFlTaskRequest", additionalProperties: false },
);
export type CreateFlTaskRequest = Static<typeof CreateFlTaskRequest>;

/** A federated task as the coordinator serves it. */
export const FlTask = Type.Object(
  {
    id: Type.Integer(),
    title: Type.String(),
    description: Type.String(),
    modelType: FlModelType,
    baseModel: ContentId,
    rounds: Type.Integer(),
    roundSeconds: Type.Integer(),
    minParticipants: Type.Integer(),
    maxParticipants: Type.Integer(),
    joinDeadline: DateTime,
    /** The planned end: join deadline + rounds × round seconds (redone rounds may run past it). */
    endTime: DateTime,
    rewardWeight: Amount,
    pool: Amount,
    /** The reward the task's pool still holds for the rounds left. */
    remainingPool: Amount,
    approvedWeight: Nullable(Amount),
    minStake: Amount,
    minLockDays: Type.Integer(),
    strategy: FlStrategy,
    privacy: FlPrivacy,
    payRule: FlPayRule,
    proposerFractionBps: Type.Integer(),
    trainConfig: FlConfig,
    status: FlTaskStatus,
    /** Rounds accepted so far (the task finishes after `rounds` of them). */
    acceptedRounds: Type.Integer(),
    /** The round being played (0 before the first). */
    currentRound: Type.Integer(),
    /** The current global model (the base model until a round is accepted). */
    globalModel: ContentId,
    participants: Type.Integer(),
    creator: Address,
    createdAt: DateTime,
    /** For a draft: what its creator (or an operator) does next for it to open. */
    next: Type.Optional(Type.Array(Type.String())),
  },
  { $id: "FlTask" },
);
export type FlTask = Static<typeof FlTask>;

/** A participant of a federated task with its stake (frozen at the join deadline). */
export const FlParticipant = Type.Object(
  {
    account: Address,
    stake: Amount,
    joinedAt: DateTime,
    /** Rounds this participant did not answer in time (dropped, crashed or late). */
    missed: Type.Integer(),
  },
  { $id: "FlParticipant" },
);
export type FlParticipant = Static<typeof FlParticipant>;

const RoundMember = Type.Object({ account: Address, stake: Amount });
const RoundVoter = Type.Object({
  account: Address,
  stake: Amount,
  /** +1 (the candidate is at least as good) or −1, once revealed; null before or if never revealed. */
  vote: Nullable(Type.Integer({ minimum: -1, maximum: 1 })),
  /** The voter's evaluation of the candidate and the global model, once revealed. */
  metrics: Type.Optional(FlMetrics),
  /** Contribution pay rule: the voter's loss of each listed model (content id → loss), once revealed. */
  evaluations: Type.Optional(Type.Record(Type.String(), Type.Number())),
});
const AccountAmount = Type.Object({ account: Address, amount: Amount });

/** One round of a federated task: roles from the public seed, the candidate, the vote and its outcome. */
export const FlRound = Type.Object(
  {
    taskId: Type.Integer(),
    round: Type.Integer(),
    status: FlRoundStatus,
    /** The hash and number of the first block after the round started: the role split's public seed. */
    seed: Nullable(Hash32),
    seedBlock: Nullable(Type.Integer()),
    startedAt: DateTime,
    deadline: DateTime,
    proposers: Type.Array(RoundMember),
    voters: Type.Array(RoundVoter),
    /** The global model the round trained from. */
    baseModel: ContentId,
    /** The aggregate of the proposers' updates (null until aggregated). */
    candidateModel: Nullable(ContentId),
    /** Proposers whose update was used; under secure aggregation, those in the unmasked sum. */
    contributors: Type.Array(Address),
    /** Proposers who sent a well-formed update in time (a robust strategy may have left some out). */
    updaters: Type.Array(Address),
    /** Σ stake · vote over the revealed votes (signed decimal), once tallied. */
    tally: Nullable(Type.String({ pattern: "^-?[0-9]{1,78}$" })),
    rewards: Type.Array(AccountAmount),
    slashes: Type.Array(AccountAmount),
    /**
     * Contribution values of the proposers (WAD, signed), under the contribution pay rule: GTG-Shapley over the
     * per-coalition stake-weighted median of the voters' −loss (quantized to 1e-9), with the round's seed.
     */
    contributions: Type.Optional(Type.Array(Type.Object({ account: Address, valueWad: Type.String() }))),
    /** Contribution pay rule: the coalitions of contributors the voters evaluated, each with its FedAvg model. */
    coalitions: Type.Optional(Type.Array(Type.Object({ members: Type.Array(Address), model: ContentId }))),
    metrics: FlMetrics,
    reason: Nullable(Type.String()),
  },
  { $id: "FlRound" },
);
export type FlRound = Static<typeof FlRound>;

/**
 * A message to one participant: train from `arrays`, evaluate `arrays`, or a protocol step (`exchange`: the
 * stages of secure aggregation and of the vote's commit-reveal) with a `body`. Arrays are fetched from
 * `GET /fl/tasks/:id/arrays/:contentId` (safetensors).
 */
export const FlMessage = Type.Object(
  {
    id: Type.Integer(),
    taskId: Type.Integer(),
    round: Type.Integer(),
    stage: Type.String(),
    kind: Type.Enum(["train", "evaluate", "exchange"] as const, { type: "string" }),
    arrays: Nullable(ContentId),
    config: FlConfig,
    /** An exchange step's body (byte arrays as {"$bytes": base64}, bigints as {"$bigint": decimal}). */
    body: Nullable(Type.Record(Type.String(), Type.Unknown())),
    deadline: DateTime,
  },
  { $id: "FlMessage" },
);
export type FlMessage = Static<typeof FlMessage>;

/** `POST /fl/tasks/:id/messages/:messageId/reply`: a participant's answer to one message. */
export const FlReplyRequest = Type.Object(
  {
    /** A training update: its arrays as base64 safetensors, the examples it used, its metrics. */
    update: Type.Optional(
      Type.Object(
        {
          arrays: Type.String({ maxLength: 96 * 1024 * 1024 }),
          numExamples: Type.Integer({ minimum: 0, maximum: INT4_MAX }),
          metrics: FlMetrics,
        },
        { additionalProperties: false },
      ),
    ),
    evaluation: Type.Optional(
      Type.Object(
        { numExamples: Type.Integer({ minimum: 0, maximum: INT4_MAX }), metrics: FlMetrics },
        { additionalProperties: false },
      ),
    ),
    body: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    error: Type.Optional(
      Type.Object(
        { code: Type.String({ maxLength: 64 }), message: Type.String({ maxLength: 2000 }) },
        { additionalProperties: false },
      ),
    ),
  },
  { $id: "FlReplyRequest", additionalProperties: false },
);
export type FlReplyRequest = Static<typeof FlReplyRequest>;

/** `GET /fl/tasks/:id/messages`: the caller's messages still waiting for a reply. */
export const FlMessages = Type.Object(
  { messages: Type.Array(FlMessage), taskStatus: FlTaskStatus, currentRound: Type.Integer() },
  { $id: "FlMessages" },
);
export type FlMessages = Static<typeof FlMessages>;
