import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { contentId, ValidationError } from "@flock/core";
import {
  type Arrays,
  decodeArrays,
  encodeArrays,
  flVoteCommitment,
  fromBase64,
  type NodeApp,
} from "@flock/fl";
import type { FlMessage, FlockClient, FlParticipant, FlReplyRequest, FlTask, FlTaskStatus } from "@flock/sdk";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FlProgress, runFlParticipant } from "./flParticipant.ts";
import { FlParticipantStateFile } from "./flParticipantState.ts";

const ME = "0x00000000000000000000000000000000000000aa";
const TASK_ID = 4;

const model = (w: number): Arrays => new Map([["w", { shape: [1], data: Float32Array.of(w) }]]);
const weightOf = (arrays: Arrays) => arrays.get("w")!.data[0]!;

/** A participant's model is one weight; its data says the best weight is 1. */
const app: NodeApp = {
  async train(message) {
    const w = weightOf(message.arrays!);
    return { arrays: model(w + 0.5 * (1 - w)), numExamples: 10, metrics: { "train-loss": (w - 1) ** 2 } };
  },
  async evaluate(message) {
    const w = weightOf(message.arrays!);
    return { numExamples: 5, metrics: { loss: (w - 1) ** 2, accuracy: 1 - Math.abs(w - 1) } };
  },
};

/**
 * The coordinator's side of the FL routes as one participant sees them: its pending messages, the replies
 * it accepted, the arrays it serves. Replies can be made to fail, and answered messages to be listed again
 * (a coordinator that has not recorded a reply yet).
 */
class FakeCoordinator {
  status: FlTaskStatus = "running";
  readonly participants: string[] = [];
  readonly pending: FlMessage[] = [];
  readonly replies: { messageId: number; reply: FlReplyRequest }[] = [];
  readonly arrays = new Map<string, Uint8Array>();
  joins = 0;
  arrayFetches = 0;
  /** Replies to this message id throw this error (once). */
  failReply: { messageId: number; error: Error } | undefined;
  /** Listed again after their reply, this many more polls. */
  relistPolls = 0;
  private relisted: FlMessage[] = [];
  /** Set the task's status once every pending message is answered. */
  statusWhenDone: FlTaskStatus = "finished";
  nextId = 1;

  publish(arrays: Arrays): `sha256:${string}` {
    const bytes = encodeArrays(arrays);
    const id = contentId(bytes) as `sha256:${string}`;
    this.arrays.set(id, bytes);
    return id;
  }

  send(message: Partial<FlMessage> & Pick<FlMessage, "stage" | "kind">): FlMessage {
    const full: FlMessage = {
      id: this.nextId++,
      taskId: TASK_ID,
      round: 1,
      arrays: null,
      config: {},
      body: null,
      deadline: new Date(Date.now() + 60_000).toISOString(),
      ...message,
    } as FlMessage;
    this.pending.push(full);
    return full;
  }

  repliesTo(id: number) {
    return this.replies.filter((r) => r.messageId === id).map((r) => r.reply);
  }

  client(): FlockClient {
    const task = (): FlTask => ({ id: TASK_ID, status: this.status, privacy: { mode: "plain" } }) as FlTask;
    const fl: Partial<FlockClient["fl"]> = {
      get: async () => task(),
      participants: async () => this.participants.map((account) => ({ account }) as FlParticipant),
      join: async () => {
        this.joins++;
        this.participants.push(ME);
        return { account: ME, stake: 1n, joinedAt: "", missed: 0 };
      },
      messages: async (_id, options = {}) => {
        if (this.pending.length === 0 && this.relisted.length === 0 && this.status === "running") {
          // A long poll with nothing to send: held (briefly here) or ended by the participant.
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(resolve, Math.min(options.waitMs ?? 0, 20));
            options.signal?.addEventListener("abort", () => {
              clearTimeout(timer);
              reject(options.signal!.reason);
            });
          });
        }
        const messages = [...this.pending, ...this.relisted];
        if (this.relisted.length > 0 && --this.relistPolls <= 0) this.relisted = [];
        return { messages, taskStatus: this.status, currentRound: 1 };
      },
      reply: async (_id, messageId, reply) => {
        if (this.failReply?.messageId === messageId) {
          const { error } = this.failReply;
          this.failReply = undefined;
          throw error;
        }
        const at = this.pending.findIndex((m) => m.id === messageId);
        if (at >= 0) {
          const [answered] = this.pending.splice(at, 1);
          if (this.relistPolls > 0) this.relisted.push(answered!);
        }
        this.replies.push({ messageId, reply });
        if (this.pending.length === 0) this.status = this.statusWhenDone;
        return { accepted: true };
      },
      arrays: async (_id, arraysId) => {
        this.arrayFetches++;
        const bytes = this.arrays.get(arraysId);
        if (bytes === undefined) throw new Error(`no arrays ${arraysId}`);
        return bytes;
      },
    };
    return { fl } as FlockClient;
  }
}

describe("the FL participant", () => {
  let dir: string;
  let coordinator: FakeCoordinator;
  const stateFile = () => new FlParticipantStateFile(join(dir, "fl-4.json"), TASK_ID, ME);
  const run = (events: FlProgress[] = [], signal?: AbortSignal) =>
    runFlParticipant({
      client: coordinator.client(),
      account: ME,
      taskId: TASK_ID,
      app,
      state: stateFile(),
      onProgress: (e) => events.push(e),
      waitMs: 20,
      retryDelayMs: 10,
      ...(signal === undefined ? {} : { signal }),
    });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "flock-fl-participant-"));
    coordinator = new FakeCoordinator();
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("joins, trains as a proposer, commits and reveals a vote, and stops when the task finishes", async () => {
    const global = coordinator.publish(model(0));
    const candidate = coordinator.publish(model(0.9));
    const train = coordinator.send({
      stage: "train",
      kind: "train",
      arrays: global,
      config: { localEpochs: 1 },
    });
    const commit = coordinator.send({
      stage: "vote-commit",
      kind: "exchange",
      arrays: candidate,
      config: { baseline: global },
    });
    const reveal = coordinator.send({ stage: "vote-reveal", kind: "exchange" });
    const events: FlProgress[] = [];

    expect(await run(events)).toEqual({ taskStatus: "finished", answered: 3 });
    expect(coordinator.joins).toBe(1);

    const [update] = coordinator.repliesTo(train.id);
    expect(weightOf(decodeArrays(fromBase64(update!.update!.arrays)).arrays)).toBe(0.5);
    expect(update!.update).toMatchObject({ numExamples: 10, metrics: { "train-loss": 1 } });

    const committed = coordinator.repliesTo(commit.id)[0]!.body as { commitment: string };
    const revealed = coordinator.repliesTo(reveal.id)[0]!.body as {
      vote: number;
      salt: string;
      metrics: Record<string, number>;
    };
    // The candidate (0.9) is closer to this participant's best weight than the global model (0): +1.
    expect(revealed.vote).toBe(1);
    expect(revealed.salt).toMatch(/^0x[0-9a-f]{64}$/);
    expect(revealed.metrics.candidateLoss).toBeCloseTo(0.01, 6);
    expect(revealed.metrics.globalLoss).toBe(1);
    expect(revealed.metrics.candidateAccuracy).toBeCloseTo(0.9, 6);
    expect(committed.commitment).toBe(
      flVoteCommitment({ taskId: TASK_ID, round: 1, voter: ME, vote: 1, salt: revealed.salt }),
    );
    expect(
      events.filter((e) => e.type === "answered").map((e) => e.type === "answered" && [e.stage, e.role]),
    ).toEqual([
      ["train", "proposer"],
      ["vote-commit", "voter"],
      ["vote-reveal", "voter"],
    ]);
    expect(events.at(-1)).toEqual({ type: "stopped", taskId: TASK_ID, taskStatus: "finished" });
  });

  it("votes −1 when the candidate is worse on its own test data", async () => {
    const global = coordinator.publish(model(0.8));
    const candidate = coordinator.publish(model(-2));
    coordinator.send({
      stage: "vote-commit",
      kind: "exchange",
      arrays: candidate,
      config: { baseline: global },
    });
    const reveal = coordinator.send({ stage: "vote-reveal", kind: "exchange" });
    await run();
    expect(coordinator.repliesTo(reveal.id)[0]!.body).toMatchObject({ vote: -1 });
  });

  it("after a crash between keeping its vote and sending the commitment, it commits and reveals that same vote", async () => {
    const global = coordinator.publish(model(0));
    const candidate = coordinator.publish(model(0.9));
    const commit = coordinator.send({
      stage: "vote-commit",
      kind: "exchange",
      arrays: candidate,
      config: { baseline: global },
    });
    coordinator.failReply = { messageId: commit.id, error: new Error("the process was killed") };
    await expect(run()).rejects.toThrow("the process was killed");
    const kept = (await stateFile().load()).votes["1"]!;
    expect(kept).toMatchObject({ commitMessageId: commit.id, vote: 1, revealed: false });

    // Restarted: the commitment sent is the one kept before the crash, and the reveal opens it.
    const reveal = coordinator.send({ stage: "vote-reveal", kind: "exchange" });
    expect(await run()).toEqual({ taskStatus: "finished", answered: 2 });
    expect(coordinator.joins).toBe(1);
    expect(coordinator.repliesTo(commit.id)).toEqual([{ body: { commitment: kept.commitment } }]);
    const revealed = coordinator.repliesTo(reveal.id)[0]!.body as { vote: 1 | -1; salt: string };
    expect(revealed).toMatchObject({ vote: kept.vote, salt: kept.salt });
    expect(flVoteCommitment({ taskId: TASK_ID, round: 1, voter: ME, ...revealed })).toBe(kept.commitment);
    expect((await stateFile().load()).votes["1"]!.revealed).toBe(true);
  });

  it("refuses to reveal a vote other than the one the coordinator recorded as committed", async () => {
    const global = coordinator.publish(model(0));
    coordinator.send({
      stage: "vote-commit",
      kind: "exchange",
      arrays: coordinator.publish(model(0.9)),
      config: { baseline: global },
    });
    const reveal = coordinator.send({
      stage: "vote-reveal",
      kind: "exchange",
      body: { stage: "vote-reveal", commitment: `0x${"ab".repeat(32)}` },
    });
    await run();
    expect(coordinator.repliesTo(reveal.id)).toEqual([
      {
        error: {
          code: "FL_VOTE_NOT_COMMITTED",
          message: expect.stringContaining("this participant kept 0x"),
        },
      },
    ]);
  });

  it("a round played again sends a new vote-commit, which gets a fresh vote and salt", async () => {
    const global = coordinator.publish(model(0));
    const first = coordinator.send({
      stage: "vote-commit",
      kind: "exchange",
      arrays: coordinator.publish(model(0.9)),
      config: { baseline: global },
    });
    const again = coordinator.send({
      stage: "vote-commit",
      kind: "exchange",
      arrays: coordinator.publish(model(-3)),
      config: { baseline: global },
    });
    const reveal = coordinator.send({ stage: "vote-reveal", kind: "exchange" });
    await run();
    expect(coordinator.repliesTo(first.id)[0]!.body).not.toEqual(coordinator.repliesTo(again.id)[0]!.body);
    expect(coordinator.repliesTo(reveal.id)[0]!.body).toMatchObject({ vote: -1 });
  });

  it("never answers a message twice, also when the coordinator lists it again and across a restart", async () => {
    const global = coordinator.publish(model(0));
    const train = coordinator.send({ stage: "train", kind: "train", arrays: global });
    coordinator.statusWhenDone = "running";
    coordinator.relistPolls = 2;
    const controller = new AbortController();
    const events: FlProgress[] = [];
    const running = run(events, controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 700));
    controller.abort(new Error("Ctrl-C"));
    expect(await running).toEqual({ taskStatus: "aborted", answered: 1 });
    expect(events.at(-1)).toEqual({ type: "stopped", taskId: TASK_ID, taskStatus: "aborted" });

    coordinator.pending.push(train); // a coordinator restored from before it recorded the reply
    coordinator.status = "finished";
    expect(await run()).toEqual({ taskStatus: "finished", answered: 0 });
    expect(coordinator.repliesTo(train.id)).toHaveLength(1);
  });

  it("reports an app failure as the message's error reply and carries on; arrays are fetched once per content id", async () => {
    const global = coordinator.publish(model(0));
    const failing: NodeApp = {
      train: async () => {
        throw new ValidationError("FL_CLIENT_EMPTY", "no training rows");
      },
      evaluate: app.evaluate,
    };
    const train = coordinator.send({ stage: "train", kind: "train", arrays: global });
    const evaluate = coordinator.send({ stage: "evaluate", kind: "evaluate", arrays: global });
    const events: FlProgress[] = [];
    await runFlParticipant({
      client: coordinator.client(),
      account: ME,
      taskId: TASK_ID,
      app: failing,
      state: stateFile(),
      onProgress: (e) => events.push(e),
      waitMs: 20,
    });
    expect(coordinator.repliesTo(train.id)).toEqual([
      { error: { code: "FL_CLIENT_EMPTY", message: "no training rows" } },
    ]);
    expect(coordinator.repliesTo(evaluate.id)).toEqual([
      { evaluation: { numExamples: 5, metrics: { loss: 1, accuracy: 0 } } },
    ]);
    expect(coordinator.arrayFetches).toBe(1);
    expect(events.find((e) => e.type === "failed")).toMatchObject({ stage: "train", role: "proposer" });
  });

  it("waits out a coordinator that does not answer, then goes on", async () => {
    const global = coordinator.publish(model(0));
    const train = coordinator.send({ stage: "train", kind: "train", arrays: global });
    const client = coordinator.client();
    const messages = client.fl.messages;
    let outages = 2;
    client.fl.messages = async (...args) => {
      if (outages-- > 0) {
        const { FlockError } = await import("@flock/core");
        throw new FlockError(
          "COORDINATOR_UNREACHABLE",
          "GET /fl/tasks/4/messages: the coordinator did not answer",
        );
      }
      return messages(...args);
    };
    const events: FlProgress[] = [];
    await runFlParticipant({
      client,
      account: ME,
      taskId: TASK_ID,
      app,
      state: stateFile(),
      onProgress: (e) => events.push(e),
      waitMs: 20,
      retryDelayMs: 5,
    });
    expect(
      events.filter((e) => e.type === "retrying").map((e) => e.type === "retrying" && e.delayMs),
    ).toEqual([5, 10]);
    expect(coordinator.repliesTo(train.id)).toHaveLength(1);
  });

  it("does nothing for a task that already ended, and refuses another task's state file", async () => {
    coordinator.status = "closed";
    expect(await run()).toEqual({ taskStatus: "closed", answered: 0 });
    expect(coordinator.joins).toBe(0);
    await writeFile(
      join(dir, "fl-4.json"),
      JSON.stringify({
        version: 1,
        taskId: 9,
        account: ME,
        joined: true,
        answered: [],
        votes: {},
        lastRound: 0,
      }),
    );
    await expect(stateFile().load()).rejects.toMatchObject({ code: "FL_STATE_MISMATCH" });
  });
});
