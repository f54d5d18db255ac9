import { randomBytes } from "node:crypto";
import {
  type Arrays,
  decodeArrays,
  decodeBody,
  encodeArrays,
  encodeBody,
  fixedClippingNode,
  flVoteCommitment,
  flVoteOf,
  type Message,
  type NodeApp,
  secAggPlusNode,
  toBase64,
} from "@flock/fl";
import type { LocalAccount } from "viem";
import type { Clock } from "../deps.ts";
import { signedHeaders } from "./signedHeaders.ts";

/** Real HTTP to a coordinator listening on loopback: signed JSON requests and raw downloads. */
export interface FlHttp {
  signed(
    account: LocalAccount,
    method: "GET" | "POST",
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: () => unknown; text: string }>;
  bytes(path: string): Promise<{ status: number; bytes: Uint8Array }>;
}

/** `FlHttp` over `fetch` to `origin`, signing for the chain's domain at the coordinator's clock. */
export function flHttp(
  origin: string,
  chain: { chainId: number; requestVerifier: `0x${string}` },
  clock: Clock,
): FlHttp {
  return {
    async signed(account, method, path, body) {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers = await signedHeaders({
        account,
        chainId: chain.chainId,
        verifyingContract: chain.requestVerifier,
        method,
        path,
        ...(payload === undefined ? {} : { body: payload }),
        timestamp: Math.floor(clock.now().getTime() / 1000),
      });
      const response = await fetch(`${origin}${path}`, {
        method,
        headers: { ...headers, ...(payload === undefined ? {} : { "content-type": "application/json" }) },
        ...(payload === undefined ? {} : { body: payload }),
      });
      const text = await response.text();
      return { status: response.status, text, json: () => JSON.parse(text) };
    },
    async bytes(path) {
      const response = await fetch(`${origin}${path}`);
      return { status: response.status, bytes: new Uint8Array(await response.arrayBuffer()) };
    },
  };
}

/**
 * A participant of a federated task for the coordinator's tests, speaking the real HTTP protocol (signed
 * polls and replies through the app's HTTP layer): its "model" is a vector `w`, its private data a target `t`;
 * training moves `w` halfway to `t` and evaluating scores the squared distance to `t`. Misbehaviours are
 * switches: a poisoned update, silence (a dropout), a vote against its own evaluation, a reveal that does not
 * open its commitment.
 */
export interface FlTestBehaviour {
  /** Adds this to every coordinate of its update (a poisoned update). */
  poison?: number;
  /** Answers nothing from this round on (crashed or dropped). */
  silentFrom?: number;
  /** Answers nothing at this SecAgg stage (a dropout mid-round). */
  dropAtStage?: string;
  /** Votes the opposite of what its data says. */
  voteAgainst?: boolean;
  /** Reveals a vote other than the one it committed to. */
  revealOther?: boolean;
  /** Clips its update to the norm the coordinator sends (client-side DP), before masking. */
  clip?: boolean;
  /** Trains toward this target instead of its own (data with shuffled labels). */
  trainTarget?: number[];
  /** Contribution pay rule: reveals evaluations other than the ones it committed to. */
  revealOtherEvaluations?: boolean;
  /** Contribution pay rule: commits and reveals without evaluating the last listed model. */
  omitEvaluation?: boolean;
}

export interface FlTestParticipant {
  readonly account: LocalAccount;
  readonly address: string;
  readonly target: readonly number[];
  behaviour: FlTestBehaviour;
  /** Answer every pending message once; returns how many were answered. */
  answerPending(): Promise<number>;
  /** Replies sent, by message id (for replay attacks). */
  readonly sent: Map<number, unknown>;
  /** Replies the coordinator refused while a misbehaviour was on: status and error code, by message id. */
  readonly refused: Map<number, { status: number; code: string }>;
}

/** A vector "model" file; its metadata is kept by whoever stores it as is (the coordinator must not re-encode it). */
export function vectorModel(values: readonly number[]): Uint8Array {
  return encodeArrays(new Map([["w", { shape: [values.length], data: Float32Array.from(values) }]]), {
    model: JSON.stringify({ kind: "vector", size: values.length }),
  });
}

function vectorOf(arrays: Arrays): Float32Array {
  return arrays.get("w")!.data;
}

export function squaredDistance(w: ArrayLike<number>, t: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < t.length; i++) sum += (w[i]! - t[i]!) ** 2;
  return sum / t.length;
}

export function flTestParticipant(
  http: FlHttp,
  taskId: number,
  account: LocalAccount,
  target: readonly number[],
  behaviour: FlTestBehaviour = {},
): FlTestParticipant {
  const address = account.address.toLowerCase();
  const votes = new Map<
    number,
    {
      vote: 1 | -1;
      salt: `0x${string}`;
      metrics: Record<string, number>;
      evaluations?: Record<string, number>;
    }
  >();
  const sent = new Map<number, unknown>();
  const refused = new Map<number, { status: number; code: string }>();
  const participant: FlTestParticipant = {
    account,
    address,
    target,
    behaviour,
    answerPending,
    sent,
    refused,
  };
  const app: NodeApp = {
    async train(message) {
      const w = vectorOf(message.arrays!);
      const toward = participant.behaviour.trainTarget ?? target;
      const out = Float32Array.from(
        w,
        (v, i) => v + 0.5 * (toward[i]! - v) + (participant.behaviour.poison ?? 0),
      );
      return {
        arrays: new Map([["w", { shape: [out.length], data: out }]]),
        numExamples: 10,
        metrics: { loss: squaredDistance(w, target) },
      };
    },
    async evaluate(message) {
      return { numExamples: 10, metrics: { loss: squaredDistance(vectorOf(message.arrays!), target) } };
    },
  };
  const node = secAggPlusNode(behaviour.clip ? fixedClippingNode(app) : app, { roundingSeed: 7 });

  async function arrays(id: string | null): Promise<Arrays | undefined> {
    if (id === null) return undefined;
    const response = await http.bytes(`/fl/tasks/${taskId}/arrays/${id}`);
    if (response.status !== 200) throw new Error(`arrays ${id}: ${response.status}`);
    return decodeArrays(response.bytes).arrays;
  }

  async function answerPending(): Promise<number> {
    const polled = await http.signed(account, "GET", `/fl/tasks/${taskId}/messages`);
    if (polled.status !== 200) throw new Error(`poll: ${polled.status} ${polled.text}`);
    const { messages } = polled.json() as {
      messages: {
        id: number;
        round: number;
        stage: string;
        kind: Message["kind"];
        arrays: string | null;
        config: Record<string, string | number | boolean>;
        body: Record<string, unknown> | null;
      }[];
    };
    let answered = 0;
    for (const m of messages) {
      if (participant.behaviour.silentFrom !== undefined && m.round >= participant.behaviour.silentFrom)
        continue;
      if (participant.behaviour.dropAtStage === m.stage) continue;
      const message: Message = {
        nodeId: address,
        kind: m.kind,
        round: m.round,
        config: m.config,
        ...(m.arrays === null ? {} : { arrays: (await arrays(m.arrays))! }),
        ...(m.body === null ? {} : { body: decodeBody(m.body) }),
      };
      let reply: Record<string, unknown>;
      if (m.stage === "vote-commit") {
        const candidate = squaredDistance(vectorOf(message.arrays!), target);
        const baseline = squaredDistance(vectorOf((await arrays(String(m.config.baseline)))!), target);
        let vote = flVoteOf(candidate, baseline);
        if (participant.behaviour.voteAgainst) vote = vote === 1 ? -1 : 1;
        const salt = `0x${randomBytes(32).toString("hex")}` as const;
        // The contribution pay rule: the loss of every listed model, committed with the vote.
        let evaluations: Record<string, number> | undefined;
        const models = (m.body as { models?: string[] } | null)?.models;
        if (models !== undefined) {
          evaluations = {};
          const listed = participant.behaviour.omitEvaluation ? models.slice(0, -1) : models;
          for (const id of listed) evaluations[id] = squaredDistance(vectorOf((await arrays(id))!), target);
        }
        votes.set(m.round, {
          vote,
          salt,
          metrics: { candidateLoss: candidate, globalLoss: baseline },
          ...(evaluations === undefined ? {} : { evaluations }),
        });
        reply = {
          body: {
            commitment: flVoteCommitment({
              taskId,
              round: m.round,
              voter: address,
              vote,
              salt,
              ...(evaluations === undefined ? {} : { evaluations }),
            }),
          },
        };
      } else if (m.stage === "vote-reveal") {
        const v = votes.get(m.round)!;
        const vote = participant.behaviour.revealOther ? -v.vote : v.vote;
        let evaluations = v.evaluations;
        if (evaluations !== undefined && participant.behaviour.revealOtherEvaluations) {
          // Claims the first listed model (the global one) did better than it did on its data.
          const [first] = Object.keys(evaluations).sort();
          evaluations = { ...evaluations, [first!]: evaluations[first!]! / 2 };
        }
        reply = {
          body: {
            vote,
            salt: v.salt,
            metrics: v.metrics,
            ...(evaluations === undefined ? {} : { evaluations }),
          },
        };
      } else if (m.kind === "train") {
        const update = await node.train(message);
        reply = {
          update: {
            arrays: toBase64(encodeArrays(update.arrays)),
            numExamples: update.numExamples,
            metrics: update.metrics,
          },
        };
      } else if (m.kind === "evaluate") {
        reply = { evaluation: await node.evaluate(message) };
      } else {
        reply = { body: encodeBody(await node.exchange!(message)) };
      }
      const response = await http.signed(
        account,
        "POST",
        `/fl/tasks/${taskId}/messages/${m.id}/reply`,
        reply,
      );
      const attacking =
        participant.behaviour.revealOtherEvaluations === true ||
        participant.behaviour.omitEvaluation === true;
      if (response.status !== 200 && attacking) {
        refused.set(m.id, { status: response.status, code: (response.json() as { code: string }).code });
        continue;
      }
      if (response.status !== 200) throw new Error(`reply ${m.id}: ${response.status} ${response.text}`);
      sent.set(m.id, reply);
      answered++;
    }
    return answered;
  }
  return participant;
}
