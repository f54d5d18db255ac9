import type { Message, NodeId, Reply } from "./messages.ts";

export interface SendOptions {
  /** Replies that have not arrived this long after sending are dropped (a straggler); default: wait. */
  readonly timeoutMs?: number;
  /** Called as each reply arrives (progress). */
  readonly onReply?: (reply: Reply) => void;
}

/**
 * The transport seam (Flower's word): sends messages to nodes and collects their replies. A strategy only
 * ever sees this interface, so it cannot tell a simulation (`InMemoryGrid`) from a deployment.
 */
export interface Grid {
  /** The nodes that can be sent messages now. */
  nodeIds(): Promise<readonly NodeId[]>;
  /**
   * Sends every message and resolves with one reply per message that answered in time (a node that fails
   * replies with an `error`; one that misses the timeout has no reply). Replies come in message order.
   */
  sendAndReceive(messages: readonly Message[], options?: SendOptions): Promise<Reply[]>;
}
