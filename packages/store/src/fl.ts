import { ConflictError, NotFoundError, parseContentId, toAmount } from "@flock/core";
import type { Kysely, Selectable } from "kysely";
import { guard } from "./dbErrors.ts";
import type {
  Database,
  FlMessagesTable,
  FlParticipantsTable,
  FlRoundStatus,
  FlRoundsTable,
  FlTasksTable,
} from "./schema.ts";
import { amountText, normalizeAddress } from "./values.ts";

type Scalar = number | string | boolean;

/** A federated task's own terms and progress (the rest is its `tasks` row). */
export interface FlTerms {
  taskId: number;
  modelType: "lm-lora" | "classifier" | "regressor";
  rounds: number;
  roundSeconds: number;
  minParticipants: number;
  maxParticipants: number;
  strategy: { name: string; params?: Record<string, Scalar> };
  privacy: {
    mode: "plain" | "secagg" | "secagg+dp";
    targetEpsilon?: number;
    delta?: number;
    clipNorm?: number;
  };
  payRule: "stake" | "contribution";
  proposerFractionBps: number;
  trainConfig: Record<string, Scalar>;
  /** The round being played (0 before the first; a redone round gets the next number). */
  currentRound: number;
  acceptedRounds: number;
  globalModel: string;
  /** The task pool's reward not yet paid to rounds. */
  remainingPool: bigint;
}

export type NewFlTerms = Omit<FlTerms, "currentRound" | "acceptedRounds">;

export interface FlParticipantRecord {
  taskId: number;
  account: string;
  joinedAt: Date;
  missed: number;
}

export interface FlRoundRecord {
  taskId: number;
  round: number;
  status: FlRoundStatus;
  seed: string | null;
  seedBlock: bigint | null;
  startedAt: Date;
  deadline: Date;
  proposers: { account: string; stake: bigint }[];
  voters: {
    account: string;
    stake: bigint;
    vote: number | null;
    metrics?: Record<string, number>;
    /** `contribution` pay rule: the voter's revealed loss of each listed model (content id → loss). */
    evaluations?: Record<string, number>;
  }[];
  baseModel: string;
  candidateModel: string | null;
  /** Proposers whose update is in the candidate (selected by the strategy; under SecAgg, in the sum). */
  contributors: string[];
  /** Proposers who sent a well-formed update in time (a robust strategy may still leave it out). */
  updaters: string[];
  tally: bigint | null;
  rewards: { account: string; amount: bigint }[];
  slashes: { account: string; amount: bigint; fractionBps?: number }[];
  contributions: { account: string; valueWad: bigint }[] | null;
  /** `contribution` pay rule: the coalitions of contributors the voters evaluate, each with its model's id. */
  coalitions: { members: string[]; model: string }[];
  metrics: Record<string, number>;
  reason: string | null;
  remainingPoolAfter: bigint | null;
  endedAt: Date | null;
  epoch: number | null;
  /**
   * The strategy's server-optimizer state after aggregating this round's candidate (content id of its
   * artifact), for strategies that keep one; the next round continues from the last accepted round's.
   */
  serverState: string | null;
}

export type FlRoundPatch = Partial<Omit<FlRoundRecord, "taskId" | "round" | "startedAt">>;

export interface FlMessageRecord {
  id: number;
  taskId: number;
  round: number;
  stage: string;
  node: string;
  kind: "train" | "evaluate" | "exchange";
  arraysId: string | null;
  config: Record<string, Scalar>;
  body: Record<string, unknown> | null;
  deadline: Date;
  createdAt: Date;
  reply: Record<string, unknown> | null;
  repliedAt: Date | null;
}

export type NewFlMessage = Omit<FlMessageRecord, "id" | "createdAt" | "reply" | "repliedAt">;

function toTerms(row: Selectable<FlTasksTable>): FlTerms {
  return {
    taskId: row.task_id,
    modelType: row.model_type,
    rounds: row.rounds,
    roundSeconds: row.round_seconds,
    minParticipants: row.min_participants,
    maxParticipants: row.max_participants,
    strategy: row.strategy,
    privacy: row.privacy,
    payRule: row.pay_rule,
    proposerFractionBps: row.proposer_fraction_bps,
    trainConfig: row.train_config,
    currentRound: row.current_round,
    acceptedRounds: row.accepted_rounds,
    globalModel: row.global_model,
    remainingPool: toAmount(row.remaining_pool, "remaining_pool"),
  };
}

function toParticipant(row: Selectable<FlParticipantsTable>): FlParticipantRecord {
  return { taskId: row.task_id, account: row.account, joinedAt: row.joined_at, missed: row.missed };
}

function toRound(row: Selectable<FlRoundsTable>): FlRoundRecord {
  return {
    taskId: row.task_id,
    round: row.round,
    status: row.status,
    seed: row.seed,
    seedBlock: row.seed_block === null ? null : BigInt(row.seed_block),
    startedAt: row.started_at,
    deadline: row.deadline,
    proposers: row.proposers.map((p) => ({ account: p.account, stake: BigInt(p.stake) })),
    voters: row.voters.map((v) => ({ ...v, stake: BigInt(v.stake) })),
    baseModel: row.base_model,
    candidateModel: row.candidate_model,
    contributors: row.contributors,
    updaters: row.updaters,
    tally: row.tally === null ? null : BigInt(row.tally),
    rewards: row.rewards.map((r) => ({ account: r.account, amount: BigInt(r.amount) })),
    slashes: row.slashes.map((s) => ({ ...s, amount: BigInt(s.amount) })),
    contributions:
      row.contributions === null
        ? null
        : row.contributions.map((c) => ({ account: c.account, valueWad: BigInt(c.valueWad) })),
    coalitions: row.coalitions,
    metrics: row.metrics,
    reason: row.reason,
    remainingPoolAfter: row.remaining_pool_after === null ? null : BigInt(row.remaining_pool_after),
    endedAt: row.ended_at,
    epoch: row.epoch,
    serverState: row.server_state,
  };
}

function toMessage(row: Selectable<FlMessagesTable>): FlMessageRecord {
  return {
    id: row.id,
    taskId: row.task_id,
    round: row.round,
    stage: row.stage,
    node: row.node,
    kind: row.kind,
    arraysId: row.arrays_id,
    config: row.config,
    body: row.body,
    deadline: row.deadline,
    createdAt: row.created_at,
    reply: row.reply,
    repliedAt: row.replied_at,
  };
}

const json = (value: unknown) => JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v));

function roundColumns(patch: FlRoundPatch): Partial<Record<keyof FlRoundsTable, unknown>> {
  const out: Partial<Record<keyof FlRoundsTable, unknown>> = {};
  if (patch.status !== undefined) out.status = patch.status;
  if (patch.seed !== undefined) out.seed = patch.seed;
  if (patch.seedBlock !== undefined)
    out.seed_block = patch.seedBlock === null ? null : patch.seedBlock.toString();
  if (patch.deadline !== undefined) out.deadline = patch.deadline;
  if (patch.proposers !== undefined) out.proposers = json(patch.proposers);
  if (patch.voters !== undefined) out.voters = json(patch.voters);
  if (patch.baseModel !== undefined) out.base_model = parseContentId(patch.baseModel);
  if (patch.candidateModel !== undefined) {
    out.candidate_model = patch.candidateModel === null ? null : parseContentId(patch.candidateModel);
  }
  if (patch.contributors !== undefined)
    out.contributors = json(patch.contributors.map((a) => normalizeAddress(a)));
  if (patch.updaters !== undefined) out.updaters = json(patch.updaters.map((a) => normalizeAddress(a)));
  if (patch.tally !== undefined) out.tally = patch.tally === null ? null : patch.tally.toString();
  if (patch.rewards !== undefined) out.rewards = json(patch.rewards);
  if (patch.slashes !== undefined) out.slashes = json(patch.slashes);
  if (patch.contributions !== undefined) {
    out.contributions = patch.contributions === null ? null : json(patch.contributions);
  }
  if (patch.coalitions !== undefined) {
    out.coalitions = json(
      patch.coalitions.map((c) => ({
        members: c.members.map((a) => normalizeAddress(a)),
        model: parseContentId(c.model),
      })),
    );
  }
  if (patch.metrics !== undefined) out.metrics = json(patch.metrics);
  if (patch.reason !== undefined) out.reason = patch.reason;
  if (patch.remainingPoolAfter !== undefined) {
    out.remaining_pool_after =
      patch.remainingPoolAfter === null ? null : amountText(patch.remainingPoolAfter, "remainingPoolAfter");
  }
  if (patch.endedAt !== undefined) out.ended_at = patch.endedAt;
  if (patch.epoch !== undefined) out.epoch = patch.epoch;
  if (patch.serverState !== undefined) {
    out.server_state = patch.serverState === null ? null : parseContentId(patch.serverState);
  }
  return out;
}

function termsMissing(taskId: number): NotFoundError {
  return new NotFoundError("FL_TASK_NOT_FOUND", `federated task ${taskId} does not exist`, {
    hint: "list federated tasks (GET /fl/tasks) to find a valid id",
    details: { taskId },
  });
}

/**
 * FL Alliance's records (SPEC §2.2): a federated task's terms and progress, its participants, its rounds and
 * the network grid's messages with their replies.
 */
export class FlRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async createTerms(terms: NewFlTerms): Promise<FlTerms> {
    const row = await guard({ what: `federated task ${terms.taskId}` }, () =>
      this.#db
        .insertInto("fl_tasks")
        .values({
          task_id: terms.taskId,
          model_type: terms.modelType,
          rounds: terms.rounds,
          round_seconds: terms.roundSeconds,
          min_participants: terms.minParticipants,
          max_participants: terms.maxParticipants,
          strategy: json(terms.strategy),
          privacy: json(terms.privacy),
          pay_rule: terms.payRule,
          proposer_fraction_bps: terms.proposerFractionBps,
          train_config: json(terms.trainConfig),
          global_model: parseContentId(terms.globalModel),
          remaining_pool: amountText(terms.remainingPool, "remainingPool"),
        })
        .returningAll()
        .executeTakeFirstOrThrow(),
    );
    return toTerms(row);
  }

  async findTerms(taskId: number): Promise<FlTerms | undefined> {
    const row = await this.#db
      .selectFrom("fl_tasks")
      .selectAll()
      .where("task_id", "=", taskId)
      .executeTakeFirst();
    return row === undefined ? undefined : toTerms(row);
  }

  async getTerms(taskId: number): Promise<FlTerms> {
    const terms = await this.findTerms(taskId);
    if (terms === undefined) throw termsMissing(taskId);
    return terms;
  }

  /** Every federated task's terms, by task id. */
  async listTerms(): Promise<FlTerms[]> {
    const rows = await this.#db.selectFrom("fl_tasks").selectAll().orderBy("task_id").execute();
    return rows.map(toTerms);
  }

  /** Record a task's progress: the round being played, accepted rounds, the global model, the pool left. */
  async setProgress(
    taskId: number,
    progress: Partial<Pick<FlTerms, "currentRound" | "acceptedRounds" | "globalModel" | "remainingPool">>,
  ): Promise<FlTerms> {
    const row = await this.#db
      .updateTable("fl_tasks")
      .set({
        ...(progress.currentRound === undefined ? {} : { current_round: progress.currentRound }),
        ...(progress.acceptedRounds === undefined ? {} : { accepted_rounds: progress.acceptedRounds }),
        ...(progress.globalModel === undefined ? {} : { global_model: parseContentId(progress.globalModel) }),
        ...(progress.remainingPool === undefined
          ? {}
          : { remaining_pool: amountText(progress.remainingPool, "remainingPool") }),
      })
      .where("task_id", "=", taskId)
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) throw termsMissing(taskId);
    return toTerms(row);
  }

  /** Record a participant's join; joining twice returns the first join. */
  async join(taskId: number, account: string, at: Date): Promise<FlParticipantRecord> {
    const address = normalizeAddress(account);
    await this.#db
      .insertInto("fl_participants")
      .values({ task_id: taskId, account: address, joined_at: at })
      .onConflict((oc) => oc.columns(["task_id", "account"]).doNothing())
      .execute();
    const row = await this.#db
      .selectFrom("fl_participants")
      .selectAll()
      .where("task_id", "=", taskId)
      .where("account", "=", address)
      .executeTakeFirstOrThrow();
    return toParticipant(row);
  }

  async participants(taskId: number): Promise<FlParticipantRecord[]> {
    const rows = await this.#db
      .selectFrom("fl_participants")
      .selectAll()
      .where("task_id", "=", taskId)
      .orderBy("account")
      .execute();
    return rows.map(toParticipant);
  }

  /** Count a missed round against each of `accounts`. */
  async addMissed(taskId: number, accounts: readonly string[]): Promise<void> {
    if (accounts.length === 0) return;
    await this.#db
      .updateTable("fl_participants")
      .set((eb) => ({ missed: eb("missed", "+", 1) }))
      .where("task_id", "=", taskId)
      .where(
        "account",
        "in",
        accounts.map((a) => normalizeAddress(a)),
      )
      .execute();
  }

  /** Start a round (status `training`); a round number is used once. */
  async createRound(round: {
    taskId: number;
    round: number;
    seed: string | null;
    seedBlock: bigint | null;
    startedAt: Date;
    deadline: Date;
    proposers: { account: string; stake: bigint }[];
    voters: { account: string; stake: bigint }[];
    baseModel: string;
  }): Promise<FlRoundRecord> {
    const row = await guard(
      {
        what: `round ${round.round} of task ${round.taskId}`,
        onUnique: () =>
          new ConflictError(
            "FL_ROUND_EXISTS",
            `round ${round.round} of task ${round.taskId} already exists`,
            {
              hint: "read the round instead of starting it again",
            },
          ),
      },
      () =>
        this.#db
          .insertInto("fl_rounds")
          .values({
            task_id: round.taskId,
            round: round.round,
            status: "training",
            seed: round.seed,
            seed_block: round.seedBlock === null ? null : round.seedBlock.toString(),
            started_at: round.startedAt,
            deadline: round.deadline,
            proposers: json(
              round.proposers.map((p) => ({ account: normalizeAddress(p.account), stake: p.stake })),
            ),
            voters: json(
              round.voters.map((v) => ({ account: normalizeAddress(v.account), stake: v.stake, vote: null })),
            ),
            base_model: parseContentId(round.baseModel),
          })
          .returningAll()
          .executeTakeFirstOrThrow(),
    );
    return toRound(row);
  }

  async findRound(taskId: number, round: number): Promise<FlRoundRecord | undefined> {
    const row = await this.#db
      .selectFrom("fl_rounds")
      .selectAll()
      .where("task_id", "=", taskId)
      .where("round", "=", round)
      .executeTakeFirst();
    return row === undefined ? undefined : toRound(row);
  }

  async getRound(taskId: number, round: number): Promise<FlRoundRecord> {
    const found = await this.findRound(taskId, round);
    if (found === undefined) {
      throw new NotFoundError("FL_ROUND_NOT_FOUND", `task ${taskId} has no round ${round}`, {
        hint: "list the task's rounds (GET /fl/tasks/:id/rounds)",
        details: { taskId, round },
      });
    }
    return found;
  }

  async listRounds(taskId: number): Promise<FlRoundRecord[]> {
    const rows = await this.#db
      .selectFrom("fl_rounds")
      .selectAll()
      .where("task_id", "=", taskId)
      .orderBy("round")
      .execute();
    return rows.map(toRound);
  }

  /**
   * The last accepted round before `round` (the one whose candidate the round starts from, with the
   * server-optimizer state it left), or undefined when no round was accepted yet.
   */
  async lastAcceptedRound(taskId: number, round: number): Promise<FlRoundRecord | undefined> {
    const row = await this.#db
      .selectFrom("fl_rounds")
      .selectAll()
      .where("task_id", "=", taskId)
      .where("round", "<", round)
      .where("status", "=", "accepted")
      .orderBy("round", "desc")
      .limit(1)
      .executeTakeFirst();
    return row === undefined ? undefined : toRound(row);
  }

  /** Ended rounds (accepted or rejected) not yet settled in an epoch, of every task. */
  async unsettledRounds(): Promise<FlRoundRecord[]> {
    const rows = await this.#db
      .selectFrom("fl_rounds")
      .selectAll()
      .where("status", "in", ["accepted", "rejected"])
      .where("epoch", "is", null)
      .orderBy("task_id")
      .orderBy("round")
      .execute();
    return rows.map(toRound);
  }

  /** Rounds an epoch settled. */
  async roundsOfEpoch(epoch: number): Promise<FlRoundRecord[]> {
    const rows = await this.#db
      .selectFrom("fl_rounds")
      .selectAll()
      .where("epoch", "=", epoch)
      .orderBy("task_id")
      .orderBy("round")
      .execute();
    return rows.map(toRound);
  }

  /**
   * Update a round; with `from`, only if it is still in one of those statuses (two coordinators racing on one
   * round cannot both move it), else FL_ROUND_CHANGED.
   */
  async updateRound(
    taskId: number,
    round: number,
    patch: FlRoundPatch,
    from?: readonly FlRoundStatus[],
  ): Promise<FlRoundRecord> {
    let query = this.#db
      .updateTable("fl_rounds")
      .set(roundColumns(patch) as never)
      .where("task_id", "=", taskId)
      .where("round", "=", round);
    if (from !== undefined) query = query.where("status", "in", [...from]);
    const row = await query.returningAll().executeTakeFirst();
    if (row === undefined) {
      await this.getRound(taskId, round);
      throw new ConflictError(
        "FL_ROUND_CHANGED",
        `round ${round} of task ${taskId} is no longer ${from?.join(" or ")}`,
        {
          hint: "read the round again; it moved on",
          details: { taskId, round },
        },
      );
    }
    return toRound(row);
  }

  /**
   * The message for (task, round, stage, node): created with `message` if it does not exist yet, else the one
   * stored (a replayed round sends nothing twice and finds the replies it already has).
   */
  async ensureMessage(message: NewFlMessage): Promise<FlMessageRecord> {
    const node = normalizeAddress(message.node, "node");
    await this.#db
      .insertInto("fl_messages")
      .values({
        task_id: message.taskId,
        round: message.round,
        stage: message.stage,
        node,
        kind: message.kind,
        arrays_id: message.arraysId === null ? null : parseContentId(message.arraysId),
        config: json(message.config),
        body: message.body === null ? null : json(message.body),
        deadline: message.deadline,
      })
      .onConflict((oc) => oc.columns(["task_id", "round", "stage", "node"]).doNothing())
      .execute();
    const row = await this.#db
      .selectFrom("fl_messages")
      .selectAll()
      .where("task_id", "=", message.taskId)
      .where("round", "=", message.round)
      .where("stage", "=", message.stage)
      .where("node", "=", node)
      .executeTakeFirstOrThrow();
    return toMessage(row);
  }

  async findMessage(id: number): Promise<FlMessageRecord | undefined> {
    const row = await this.#db.selectFrom("fl_messages").selectAll().where("id", "=", id).executeTakeFirst();
    return row === undefined ? undefined : toMessage(row);
  }

  /** A node's messages of a task still waiting for its reply and not past their deadline, oldest first. */
  async pendingMessages(taskId: number, node: string, now: Date): Promise<FlMessageRecord[]> {
    const rows = await this.#db
      .selectFrom("fl_messages")
      .selectAll()
      .where("task_id", "=", taskId)
      .where("node", "=", normalizeAddress(node, "node"))
      .where("reply", "is", null)
      .where("deadline", ">", now)
      .orderBy("id")
      .execute();
    return rows.map(toMessage);
  }

  /** The messages of one stage of a round (with their replies), by id. */
  async stageMessages(taskId: number, round: number, stage: string): Promise<FlMessageRecord[]> {
    const rows = await this.#db
      .selectFrom("fl_messages")
      .selectAll()
      .where("task_id", "=", taskId)
      .where("round", "=", round)
      .where("stage", "=", stage)
      .orderBy("id")
      .execute();
    return rows.map(toMessage);
  }

  /** Every message of a task (audits and tests). */
  async taskMessages(taskId: number): Promise<FlMessageRecord[]> {
    const rows = await this.#db
      .selectFrom("fl_messages")
      .selectAll()
      .where("task_id", "=", taskId)
      .orderBy("id")
      .execute();
    return rows.map(toMessage);
  }

  /**
   * Record a node's reply to its message, once: a second reply (a replay) or a reply after the deadline is
   * refused and changes nothing.
   */
  async reply(id: number, node: string, reply: Record<string, unknown>, at: Date): Promise<FlMessageRecord> {
    const row = await this.#db
      .updateTable("fl_messages")
      .set({ reply: json(reply), replied_at: at })
      .where("id", "=", id)
      .where("node", "=", normalizeAddress(node, "node"))
      .where("reply", "is", null)
      .where("deadline", ">", at)
      .returningAll()
      .executeTakeFirst();
    if (row !== undefined) return toMessage(row);
    const current = await this.findMessage(id);
    if (current === undefined || current.node !== normalizeAddress(node, "node")) {
      throw new NotFoundError("FL_MESSAGE_NOT_FOUND", `there is no message ${id} for ${node}`, {
        hint: "reply only to the messages GET /fl/tasks/:id/messages gave you",
        details: { messageId: id },
      });
    }
    if (current.reply !== null) {
      throw new ConflictError("FL_REPLY_EXISTS", `message ${id} was already answered`, {
        hint: "each message takes one reply; a replayed reply changes nothing",
        details: { messageId: id, repliedAt: current.repliedAt?.toISOString() ?? null },
      });
    }
    throw new ConflictError(
      "FL_REPLY_LATE",
      `message ${id}'s deadline ${current.deadline.toISOString()} has passed`,
      {
        hint: "a late update is not used; wait for the next round's messages",
        details: { messageId: id, deadline: current.deadline.toISOString(), at: at.toISOString() },
      },
    );
  }
}
