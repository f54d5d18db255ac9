import type { Arrays } from "./arrays.ts";

/** A node's id in a grid (the simulator numbers them "0", "1", …; the network uses accounts). */
export type NodeId = string;

/** Scalars a server sends with a message (Flower's `ConfigRecord`): learning rate, local epochs, μ, … */
export type Config = Readonly<Record<string, number | string | boolean>>;

/** Numbers a node reports (Flower's `MetricRecord`): loss, accuracy, … */
export type Metrics = Readonly<Record<string, number>>;

/** What a node sends back after local training: its new arrays, how many examples it used, its metrics. */
export interface Update {
  readonly arrays: Arrays;
  readonly numExamples: number;
  readonly metrics: Metrics;
}

/** What a node sends back after evaluating the arrays it was sent on its own data. */
export interface Evaluation {
  readonly numExamples: number;
  readonly metrics: Metrics;
}

/**
 * `train` and `evaluate` carry arrays; `exchange` is a protocol step with a JSON-like `body` (the stages of
 * secure aggregation: key advertisement, share exchange, masked input, unmasking).
 */
export type MessageKind = "train" | "evaluate" | "exchange";

/** The body of an exchange message or reply: plain data (strings, numbers, arrays, byte arrays). */
export type ExchangeBody = Readonly<Record<string, unknown>>;

/** A message from the server to one node. */
export interface Message {
  readonly nodeId: NodeId;
  readonly kind: MessageKind;
  readonly round: number;
  /** The arrays to train from or to evaluate (absent for a message that carries only config). */
  readonly arrays?: Arrays;
  readonly config: Config;
  /** The protocol step of an `exchange` message. */
  readonly body?: ExchangeBody;
}

/** A node's answer: a training update, an evaluation, or an error (a dropped or failing node). */
export type Reply =
  | { readonly nodeId: NodeId; readonly kind: "train"; readonly round: number; readonly update: Update }
  | {
      readonly nodeId: NodeId;
      readonly kind: "evaluate";
      readonly round: number;
      readonly evaluation: Evaluation;
    }
  | {
      readonly nodeId: NodeId;
      readonly kind: "exchange";
      readonly round: number;
      readonly body: ExchangeBody;
    }
  | {
      readonly nodeId: NodeId;
      readonly kind: MessageKind;
      readonly round: number;
      readonly error: { readonly code: string; readonly message: string };
    };

export function isError(reply: Reply): reply is Extract<Reply, { error: unknown }> {
  return "error" in reply;
}

/** The training updates among replies (errors and evaluations left out), in reply order. */
export function updatesOf(replies: readonly Reply[]): { nodeId: NodeId; update: Update }[] {
  const out: { nodeId: NodeId; update: Update }[] = [];
  for (const r of replies) if ("update" in r) out.push({ nodeId: r.nodeId, update: r.update });
  return out;
}

/** The evaluations among replies, in reply order. */
export function evaluationsOf(replies: readonly Reply[]): { nodeId: NodeId; evaluation: Evaluation }[] {
  const out: { nodeId: NodeId; evaluation: Evaluation }[] = [];
  for (const r of replies) if ("evaluation" in r) out.push({ nodeId: r.nodeId, evaluation: r.evaluation });
  return out;
}
