import { contentId } from "@flock/core";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { operatorAccount } from "../testing/operatorAccount.ts";
import { createRecordingChainGateway } from "../testing/recordingChainGateway.ts";
import { manualClock, startTestApp, type TestApp } from "../testing/testApp.ts";

const WAD = 10n ** 18n;
const T0 = new Date("2026-04-01T00:00:00.000Z");
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);
const key = () => privateKeyToAccount(generatePrivateKey());

let hiddenSets = 0;
function taskBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  hiddenSets += 1;
  return {
    title: "funded task",
    description: "d",
    type: "lm-lora",
    baseModel: contentId("base model"),
    contextLength: 64,
    maxTrainableParams: 1000,
    trainingSetId: contentId("training set"),
    validationCommitment: contentId(`funding hidden ${hiddenSets}`),
    submissionDeadline: minutes(60).toISOString(),
    endTime: minutes(120).toISOString(),
    rewardWeight: "0",
    pool: (500n * WAD).toString(),
    minStake: (100n * WAD).toString(),
    minLockDays: 0,
    ...overrides,
  };
}

// SPEC §3: anyone may post a task that funds its own pool; emission is approved by the operator role; a
// network minimum stake applies to every role.
describe("who may create a task and who pays for it", () => {
  const clock = manualClock(T0);
  const chain = createRecordingChainGateway();
  chain.stakeFloor = 100n * WAD;
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ clock, chain });
    await t.publish("base model");
    await t.publish("training set");
  });
  afterAll(() => t.dispose());

  it("anyone's pool-funded task is a draft that says what to do, refuses to open until funded, then opens", async () => {
    const creator = key();
    const created = await t.signed(creator, "POST", "/tasks", taskBody());
    expect(created.statusCode).toBe(201);
    const draft = created.json();
    expect(draft).toMatchObject({ status: "draft", pool: (500n * WAD).toString(), approvedWeight: null });
    expect(draft.next.join("\n")).toContain(`flock task fund ${draft.id}`);
    expect(draft.next.join("\n")).toContain(`POST /tasks/${draft.id}/open`);
    expect(chain.registered.map((r) => r.taskId)).not.toContain(draft.id);

    chain.taskPools.set(draft.id, 200n * WAD);
    const short = await t.signed(creator, "POST", `/tasks/${draft.id}/open`, {});
    expect(short.statusCode).toBe(409);
    expect(short.json()).toMatchObject({
      code: "TASK_POOL_UNFUNDED",
      details: { missing: (300n * WAD).toString() },
    });
    expect(short.json().hint).toContain(`flock task fund ${draft.id}`);
    expect(chain.registered.map((r) => r.taskId)).not.toContain(draft.id);

    // Only its creator opens it.
    const stranger = await t.signed(key(), "POST", `/tasks/${draft.id}/open`, {});
    expect(stranger.statusCode).toBe(403);
    expect(stranger.json().code).toBe("NOT_CREATOR");

    chain.taskPools.set(draft.id, 500n * WAD);
    const opened = await t.signed(creator, "POST", `/tasks/${draft.id}/open`, {});
    expect(opened.statusCode).toBe(200);
    expect(opened.json()).toMatchObject({ id: draft.id, status: "open", approvedWeight: null });
    expect(opened.json()).not.toHaveProperty("next");
    expect(chain.registered.filter((r) => r.taskId === draft.id)).toHaveLength(1);
    // Opening again changes nothing and registers nothing again.
    expect((await t.signed(creator, "POST", `/tasks/${draft.id}/open`, {})).json().status).toBe("open");
    expect(chain.registered.filter((r) => r.taskId === draft.id)).toHaveLength(1);
  });

  it("a non-operator's emission-only task cannot open until an operator approves it", async () => {
    const creator = key();
    const draft = (
      await t.signed(creator, "POST", "/tasks", taskBody({ rewardWeight: "5", pool: "0" }))
    ).json();
    expect(draft.status).toBe("draft");
    const refused = await t.signed(creator, "POST", `/tasks/${draft.id}/open`, {});
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe("TASK_NOT_APPROVED");
    expect(refused.json().hint).toContain(`flock task approve ${draft.id}`);

    // The creator cannot approve its own weight, nor can any other key without the role.
    for (const signer of [creator, key()]) {
      const self = await t.signed(signer, "POST", `/tasks/${draft.id}/approve`, { weight: "5" });
      expect(self.statusCode).toBe(403);
      expect(self.json().code).toBe("NOT_OPERATOR");
    }
    expect((await t.repos.funding.get(draft.id)).approvedWeight).toBeNull();

    const approved = await t.signed(operatorAccount, "POST", `/tasks/${draft.id}/approve`, { weight: "3" });
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toMatchObject({ approvedWeight: "3", rewardWeight: "5" });
    expect(await t.repos.funding.get(draft.id)).toMatchObject({
      approvedWeight: 3n,
      approvedBy: operatorAccount.address.toLowerCase(),
    });
    const opened = await t.signed(creator, "POST", `/tasks/${draft.id}/open`, {});
    expect(opened.json()).toMatchObject({ status: "open", approvedWeight: "3" });
  });

  it("an operator's emission task opens at once with its weight approved; with a pool it waits for it", async () => {
    const open = (
      await t.signed(operatorAccount, "POST", "/tasks", taskBody({ rewardWeight: "7", pool: "0" }))
    ).json();
    expect(open).toMatchObject({ status: "open", approvedWeight: "7", pool: "0" });
    const pooled = (
      await t.signed(operatorAccount, "POST", "/tasks", taskBody({ rewardWeight: "7" }))
    ).json();
    expect(pooled).toMatchObject({ status: "draft", approvedWeight: "7" });
  });

  it("refuses at the edge, storing nothing: a weight above 10^6, no pool and no weight, a minimum below the floor", async () => {
    const before = (await t.repos.tasks.list({ limit: 500 })).items.length;
    const cases: [Record<string, unknown>, string][] = [
      [{ rewardWeight: (10n ** 78n - 1n).toString() }, "TASK_WEIGHT_TOO_LARGE"],
      [{ rewardWeight: "1000001", pool: "0" }, "TASK_WEIGHT_TOO_LARGE"],
      [{ rewardWeight: "0", pool: "0" }, "TASK_UNFUNDED"],
      [{ minStake: "1" }, "TASK_STAKE_BELOW_FLOOR"],
      [{ minStake: (100n * WAD - 1n).toString() }, "TASK_STAKE_BELOW_FLOOR"],
    ];
    for (const [overrides, code] of cases) {
      const response = await t.signed(operatorAccount, "POST", "/tasks", taskBody(overrides));
      expect(response.statusCode, code).toBe(400);
      expect(response.json().code).toBe(code);
      expect(response.json().hint).toEqual(expect.any(String));
    }
    const floor = await t.signed(key(), "POST", "/tasks", taskBody({ minStake: "1" }));
    expect(floor.json().details).toMatchObject({ floor: (100n * WAD).toString() });
    expect((await t.repos.tasks.list({ limit: 500 })).items.length).toBe(before);
  });

  it("an operator approves at most 10^6 and a draft whose deadline passed does not open", async () => {
    const creator = key();
    const draft = (await t.signed(creator, "POST", "/tasks", taskBody())).json();
    const big = await t.signed(operatorAccount, "POST", `/tasks/${draft.id}/approve`, { weight: "1000001" });
    expect(big.json().code).toBe("TASK_WEIGHT_TOO_LARGE");
    chain.taskPools.set(draft.id, 500n * WAD);
    clock.set(minutes(61));
    try {
      const late = await t.signed(creator, "POST", `/tasks/${draft.id}/open`, {});
      expect(late.statusCode).toBe(409);
      expect(late.json().code).toBe("TASK_DEADLINE_PASSED");
      expect(chain.registered.map((r) => r.taskId)).not.toContain(draft.id);
    } finally {
      clock.set(T0);
    }
  });

  it("two opens of one funded draft at the same moment register it on-chain once", async () => {
    const creator = key();
    const draft = (await t.signed(creator, "POST", "/tasks", taskBody())).json();
    chain.taskPools.set(draft.id, 500n * WAD);
    const both = await Promise.all([
      t.signed(creator, "POST", `/tasks/${draft.id}/open`, {}),
      t.signed(creator, "POST", `/tasks/${draft.id}/open`, {}),
    ]);
    expect(both.map((r) => r.statusCode)).toEqual([200, 200]);
    expect(chain.registered.filter((r) => r.taskId === draft.id)).toHaveLength(1);
  });
});
