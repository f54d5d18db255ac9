import { ValidationError } from "@flock/core";
import type { Grid, SendOptions } from "./grid.ts";
import type { Evaluation, ExchangeBody, Message, NodeId, Reply, Update } from "./messages.ts";

/** What runs on a node: local training and local evaluation of the arrays it is sent. */
export interface NodeApp {
  train(message: Message): Promise<Update>;
  evaluate(message: Message): Promise<Evaluation>;
  /** Protocol steps (secure aggregation); a node without it answers exchanges with FL_EXCHANGE_UNSUPPORTED. */
  exchange?(message: Message): Promise<ExchangeBody>;
}

export interface InMemoryGridOptions {
  /** The population: a count (ids "0" … "n-1", never materialized beyond the id list) or explicit ids. */
  readonly nodes: number | readonly NodeId[];
  /** The node side, called once per message. A throw is that node's error reply (a dropout). */
  readonly app: NodeApp;
  /** Messages in flight at once (default 64). The app may fan out further, e.g. to a worker pool. */
  readonly concurrency?: number;
  /**
   * Simulated time a node takes to answer, in ms (default 0). A reply whose simulated time exceeds the
   * send timeout is dropped as a straggler without waiting for it in real time.
   */
  readonly latencyMs?: (nodeId: NodeId, message: Message) => number;
}

/**
 * A grid in one process: the simulation's transport. Messages go straight to a `NodeApp`, replies come
 * back in message order; failures become error replies, stragglers (by simulated latency or real time)
 * are dropped, as on a network.
 */
export class InMemoryGrid implements Grid {
  private readonly ids: readonly NodeId[];
  private readonly known: ReadonlySet<NodeId>;
  private readonly options: InMemoryGridOptions;

  constructor(options: InMemoryGridOptions) {
    const { nodes } = options;
    if (typeof nodes === "number") {
      if (!Number.isSafeInteger(nodes) || nodes < 0) {
        throw new ValidationError("FL_GRID_INVALID", `a grid of ${nodes} nodes`, {
          hint: "give a count ≥ 0",
        });
      }
      this.ids = Array.from({ length: nodes }, (_, i) => String(i));
    } else {
      this.ids = [...nodes];
    }
    this.known = new Set(this.ids);
    this.options = options;
  }

  async nodeIds(): Promise<readonly NodeId[]> {
    return this.ids;
  }

  async sendAndReceive(messages: readonly Message[], options: SendOptions = {}): Promise<Reply[]> {
    for (const m of messages) {
      if (!this.known.has(m.nodeId)) {
        throw new ValidationError("FL_UNKNOWN_NODE", `no node ${m.nodeId} in this grid`, {
          hint: "send only to ids returned by nodeIds()",
        });
      }
    }
    const results: (Reply | undefined)[] = new Array(messages.length);
    const limit = Math.max(1, this.options.concurrency ?? 64);
    const deadline = options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < messages.length) {
        const index = next++;
        const message = messages[index]!;
        const simulated = this.options.latencyMs?.(message.nodeId, message) ?? 0;
        if (options.timeoutMs !== undefined && simulated > options.timeoutMs) continue;
        const reply = await this.deliver(message);
        if (deadline !== undefined && Date.now() > deadline) continue;
        results[index] = reply;
        options.onReply?.(reply);
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, messages.length) }, worker));
    return results.filter((r): r is Reply => r !== undefined);
  }

  private async deliver(message: Message): Promise<Reply> {
    const { nodeId, round } = message;
    try {
      if (message.kind === "train")
        return { nodeId, kind: "train", round, update: await this.options.app.train(message) };
      if (message.kind === "evaluate") {
        return { nodeId, kind: "evaluate", round, evaluation: await this.options.app.evaluate(message) };
      }
      if (!this.options.app.exchange) {
        throw new ValidationError("FL_EXCHANGE_UNSUPPORTED", `node ${nodeId} runs no exchange protocol`);
      }
      return { nodeId, kind: "exchange", round, body: await this.options.app.exchange(message) };
    } catch (error) {
      const code =
        typeof (error as { code?: unknown }).code === "string"
          ? (error as { code: string }).code
          : "FL_NODE_FAILED";
      return {
        nodeId,
        kind: message.kind,
        round,
        error: { code, message: error instanceof Error ? error.message : String(error) },
      };
    }
  }
}
