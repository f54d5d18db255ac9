import { FlockError } from "@flock/core";
import type { Grid, SendOptions } from "../grid.ts";
import type { NodeApp } from "../inMemoryGrid.ts";
import type { Message, NodeId, Reply } from "../messages.ts";
import type { SecAggStage } from "./protocol.ts";

/** Where a simulated node drops out: at a SecAgg+ stage, or in local training (inside masked-input). */
export type DropoutPoint = SecAggStage | "train";

/**
 * A node app whose chosen nodes fail at a chosen point of a SecAgg+ round (a crash, a lost connection): the
 * grid turns the throw into an error reply, as a real network would a dropout. `rounds` limits it to some
 * rounds (default all). A "train" dropout needs the app inside `secAggPlusNode` wrapped (that is where
 * training runs): `droppingNode(secAggPlusNode(droppingNode(app, plan)), plan)`.
 */
export function droppingNode(
  app: NodeApp,
  plan: ReadonlyMap<NodeId, DropoutPoint>,
  rounds?: ReadonlySet<number>,
): NodeApp {
  const drops = (message: Message, point: DropoutPoint): boolean =>
    plan.get(message.nodeId) === point && (rounds === undefined || rounds.has(message.round));
  const fail = (message: Message, point: DropoutPoint): never => {
    throw new FlockError("FL_NODE_DROPPED", `node ${message.nodeId} dropped out at ${point}`);
  };
  return {
    train: async (message) => {
      if (drops(message, "train")) fail(message, "train");
      return app.train(message);
    },
    evaluate: (message) => app.evaluate(message),
    exchange: async (message) => {
      const stage = message.body?.stage as SecAggStage | undefined;
      if (stage !== undefined && drops(message, stage)) fail(message, stage);
      if (!app.exchange)
        throw new FlockError("FL_EXCHANGE_UNSUPPORTED", `node ${message.nodeId} runs no exchange`);
      return app.exchange(message);
    },
  };
}

/**
 * A grid that records everything the server sends and receives: the server's whole view of a round, for
 * checking what secure aggregation reveals.
 */
export class RecordingGrid implements Grid {
  readonly sent: Message[] = [];
  readonly received: Reply[] = [];
  private readonly grid: Grid;

  constructor(grid: Grid) {
    this.grid = grid;
  }

  nodeIds(): Promise<readonly NodeId[]> {
    return this.grid.nodeIds();
  }

  async sendAndReceive(messages: readonly Message[], options?: SendOptions): Promise<Reply[]> {
    this.sent.push(...messages);
    const replies = await this.grid.sendAndReceive(messages, options);
    this.received.push(...replies);
    return replies;
  }
}
