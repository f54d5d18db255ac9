import { encodeArrays, toBase64 } from "@flock/fl";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FlScenario, startFlScenario } from "../testing/flScenario.ts";

const TARGET = [1, 2, 3, 4];

/**
 * What a participant might try against the message exchange, over real HTTP: replay its own reply, answer late,
 * answer someone else's message, send an update of another shape or of the wrong kind, read a peer's update,
 * join without stake or after the deadline. Each is refused with its code, and the round is unchanged.
 */
describe("FL replies and joins against attackers (over real HTTP)", () => {
  let s: FlScenario;
  let lateAddress = "";
  beforeAll(async () => {
    s = await startFlScenario({
      participants: [{ target: TARGET }, { target: TARGET }, { target: TARGET }, { target: TARGET }],
      rounds: 1,
    });
  });
  afterAll(() => s?.dispose());

  it("refuses a join without stake, and any join after the join deadline", async () => {
    const stranger = privateKeyToAccount(generatePrivateKey());
    const noStake = await s.http.signed(stranger, "POST", `/fl/tasks/${s.taskId}/join`);
    expect(noStake.status).toBe(403);
    expect((noStake.json() as { code: string }).code).toBe("STAKE_REQUIRED");
    await s.play({ until: async () => (await s.t.repos.fl.findRound(s.taskId, 1))?.seed != null });
    await s.t.indexStake(s.taskId, stranger.address, "trainer", 10n ** 21n);
    const late = await s.http.signed(stranger, "POST", `/fl/tasks/${s.taskId}/join`);
    expect(late.status).toBe(409);
    expect((late.json() as { code: string }).code).toBe("FL_JOIN_CLOSED");
  });

  it("refuses replies of the wrong kind or shape, to another's message, replayed, or late — and changes nothing", async () => {
    const round = await s.t.repos.fl.getRound(s.taskId, 1);
    const [p0, p1] = round.proposers.map((p) => s.participants.find((x) => x.address === p.account)!);
    const pending = (await s.t.repos.fl.pendingMessages(s.taskId, p0!.address, s.clock.now()))[0]!;
    expect(pending.kind).toBe("train");
    const path = `/fl/tasks/${s.taskId}/messages/${pending.id}/reply`;
    const reply = (update: Record<string, unknown>) => s.http.signed(p0!.account, "POST", path, update);
    const code = async (r: Promise<{ status: number; json: () => unknown }>) => {
      const res = await r;
      return [res.status, (res.json() as { code?: string }).code];
    };
    const wrongShape = toBase64(encodeArrays(new Map([["w", { shape: [3], data: new Float32Array(3) }]])));
    expect(await code(reply({ update: { arrays: wrongShape, numExamples: 1, metrics: {} } }))).toEqual([
      400,
      "FL_UPDATE_LAYOUT",
    ]);
    expect(await code(reply({ body: { anything: 1 } }))).toEqual([400, "FL_REPLY_MISMATCH"]);
    expect(await code(reply({ update: { arrays: "!!", numExamples: 1, metrics: {} } }))).toEqual([
      400,
      "FL_BASE64_MALFORMED",
    ]);
    expect(await code(reply({}))).toEqual([400, "FL_REPLY_INVALID"]);
    // Another proposer answering p0's message.
    const good = toBase64(encodeArrays(new Map([["w", { shape: [4], data: Float32Array.from(TARGET) }]])));
    expect(
      await code(
        s.http.signed(p1!.account, "POST", path, { update: { arrays: good, numExamples: 1, metrics: {} } }),
      ),
    ).toEqual([404, "FL_MESSAGE_NOT_FOUND"]);
    // The real reply, then its replay.
    await p0!.answerPending();
    const sent = p0!.sent.get(pending.id);
    expect(sent).toBeDefined();
    const before = await s.t.repos.fl.findMessage(pending.id);
    expect(await code(reply(sent as Record<string, unknown>))).toEqual([409, "FL_REPLY_EXISTS"]);
    expect(await s.t.repos.fl.findMessage(pending.id)).toEqual(before);
    // p1 stays silent until the training deadline passes; its late update is refused.
    lateAddress = p1!.address;
    const p1Message = (await s.t.repos.fl.pendingMessages(s.taskId, p1!.address, s.clock.now()))[0]!;
    s.clock.set(new Date(p1Message.deadline.getTime() + 1000));
    const lateReply = await s.http.signed(
      p1!.account,
      "POST",
      `/fl/tasks/${s.taskId}/messages/${p1Message.id}/reply`,
      {
        update: { arrays: good, numExamples: 1, metrics: {} },
      },
    );
    expect([lateReply.status, (lateReply.json() as { code: string }).code]).toEqual([409, "FL_REPLY_LATE"]);
    expect((await s.t.repos.fl.findMessage(p1Message.id))!.reply).toBeNull();
  });

  it("never serves a participant's update, and finishes the round without the late proposer (a failed duty)", async () => {
    const updateId = (
      (await s.t.repos.fl.taskMessages(s.taskId)).find((m) => m.reply !== null)!.reply as {
        update: { arraysId: string };
      }
    ).update.arraysId;
    const peek = await s.http.bytes(`/fl/tasks/${s.taskId}/arrays/${updateId}`);
    expect(peek.status).toBe(404);
    for (const p of s.participants) p.behaviour = {};
    await s.play();
    const [ended] = await s.rounds();
    expect(ended!.status).toBe("accepted");
    expect(ended!.updaters).toHaveLength(1);
    expect(ended!.updaters).not.toContain(lateAddress);
    expect(ended!.slashes.map((x) => x.account)).toEqual([lateAddress]);
    expect(ended!.rewards.map((r) => r.account)).not.toContain(lateAddress);
  });
});
