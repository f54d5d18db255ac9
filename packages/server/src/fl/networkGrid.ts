import { ValidationError } from "@flock/core";
import {
  type Arrays,
  decodeArrays,
  decodeBody,
  encodeBody,
  type Grid,
  type Message,
  type NodeId,
  type Reply,
  type SendOptions,
} from "@flock/fl";
import type { FlMessageRecord } from "@flock/store";
import type { AppContext } from "../deps.ts";
import { storeArrays } from "./flArrays.ts";

/**
 * Thrown by `NetworkGrid.sendAndReceive` while some of its messages still wait for replies before their
 * deadline: the round's step ends there, and the next step replays the round from the store.
 */
export class FlPending extends Error {
  readonly until: Date;
  constructor(until: Date) {
    super(`replies are due until ${until.toISOString()}`);
    this.name = "FlPending";
    this.until = until;
  }
}

/** The stage a message belongs to: an exchange's `body.stage`, else its kind. */
export function stageOf(message: Pick<Message, "kind" | "body">): string {
  const stage = message.body?.stage;
  return message.kind === "exchange" && typeof stage === "string" ? stage : message.kind;
}

/**
 * `@flock/fl`'s Grid over the network (SPEC §2.2): messages are rows of the store that participants poll over
 * HTTP and answer with signed replies. It never waits: `sendAndReceive` stores the messages (once per round,
 * stage and node — a replayed round finds the ones it sent, with the content they were sent with) and returns
 * the replies when every message is answered or past its deadline; otherwise it throws `FlPending`, and the
 * round's next step runs the strategy again from the start, finding every earlier stage answered. So a
 * strategy's multi-stage protocol (secure aggregation) runs unchanged, and a coordinator that restarts
 * mid-round resumes it from the store. Arrays travel as content-addressed safetensors artifacts.
 */
export class NetworkGrid implements Grid {
  readonly #ctx: AppContext;
  readonly #taskId: number;
  readonly #nodes: readonly NodeId[];
  readonly #deadline: Date;
  readonly #arraysIds = new WeakMap<Arrays, string>();

  /** `nodes`: who may be sent messages now; `deadline`: no message of this phase is due after it. */
  constructor(ctx: AppContext, taskId: number, nodes: readonly NodeId[], deadline: Date) {
    this.#ctx = ctx;
    this.#taskId = taskId;
    this.#nodes = nodes;
    this.#deadline = deadline;
  }

  /** Arrays read from the store under `id`: sent by that id (their file may carry metadata re-encoding drops). */
  known(arrays: Arrays, id: string): this {
    this.#arraysIds.set(arrays, id);
    return this;
  }

  async nodeIds(): Promise<readonly NodeId[]> {
    return this.#nodes;
  }

  async #arraysId(arrays: Arrays): Promise<string> {
    const known = this.#arraysIds.get(arrays);
    if (known !== undefined) return known;
    const id = await storeArrays(this.#ctx, arrays);
    this.#arraysIds.set(arrays, id);
    return id;
  }

  /** Store (or find) the messages; the replies once all are answered or due, else FlPending. */
  async sendAndReceive(messages: readonly Message[], options: SendOptions = {}): Promise<Reply[]> {
    const now = this.#ctx.clock.now();
    const due = new Date(
      Math.min(
        this.#deadline.getTime(),
        options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : now.getTime() + options.timeoutMs,
      ),
    );
    const records: FlMessageRecord[] = [];
    for (const message of messages) {
      if (!this.#nodes.includes(message.nodeId)) {
        throw new ValidationError("FL_NODE_UNKNOWN", `node ${message.nodeId} has no role in this phase`, {
          hint: "send messages only to the nodes the grid lists",
        });
      }
      records.push(
        await this.#ctx.repos.fl.ensureMessage({
          taskId: this.#taskId,
          round: message.round,
          stage: stageOf(message),
          node: message.nodeId,
          kind: message.kind,
          arraysId: message.arrays === undefined ? null : await this.#arraysId(message.arrays),
          config: message.config as Record<string, number | string | boolean>,
          body: message.body === undefined ? null : encodeBody(message.body),
          deadline: due,
        }),
      );
    }
    const waiting = records.filter((r) => r.reply === null && r.deadline.getTime() > now.getTime());
    if (waiting.length > 0) {
      throw new FlPending(new Date(Math.min(...waiting.map((r) => r.deadline.getTime()))));
    }
    const replies: Reply[] = [];
    for (const record of records) {
      if (record.reply === null) continue;
      const reply = await this.#decodeReply(record);
      options.onReply?.(reply);
      replies.push(reply);
    }
    return replies;
  }

  /** A stored reply as the strategy expects it; a reply that does not decode is that node's error reply. */
  async #decodeReply(record: FlMessageRecord): Promise<Reply> {
    const base = { nodeId: record.node, round: record.round };
    const stored = record.reply as StoredReply;
    try {
      if (stored.error !== undefined) return { ...base, kind: record.kind, error: stored.error };
      if (record.kind === "train" && stored.update !== undefined) {
        const bytes = await this.#ctx.artifacts.read(stored.update.arraysId);
        return {
          ...base,
          kind: "train",
          update: {
            arrays: decodeArrays(bytes).arrays,
            numExamples: stored.update.numExamples,
            metrics: stored.update.metrics,
          },
        };
      }
      if (record.kind === "evaluate" && stored.evaluation !== undefined) {
        return { ...base, kind: "evaluate", evaluation: stored.evaluation };
      }
      if (record.kind === "exchange" && stored.body !== undefined) {
        return { ...base, kind: "exchange", body: decodeBody(stored.body) };
      }
      throw new ValidationError(
        "FL_REPLY_MISMATCH",
        `a ${record.kind} message was answered with something else`,
      );
    } catch (error) {
      const e = error as { code?: string; message?: string };
      return {
        ...base,
        kind: record.kind,
        error: { code: e.code ?? "FL_REPLY_MALFORMED", message: e.message ?? String(error) },
      };
    }
  }
}

/** A reply as the store keeps it (see `recordReply`): the update's arrays by content id. */
export interface StoredReply {
  update?: { arraysId: string; numExamples: number; metrics: Record<string, number> };
  evaluation?: { numExamples: number; metrics: Record<string, number> };
  body?: Record<string, unknown>;
  error?: { code: string; message: string };
}
