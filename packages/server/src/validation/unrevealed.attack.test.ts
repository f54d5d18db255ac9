import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type FlockEvent,
  getStake,
  type LocalChain,
  localDeploymentSettings,
  manifestAddresses,
  readEvents,
} from "@flock/chain";
import { contentId, contentIdToBytes32, scoreCommitment } from "@flock/core";
import { slash } from "@flock/protocol";
import type { Assignment } from "@flock/store";
import { type LocalAccount, sha256 } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChainGateway } from "../chain/chainGateway.ts";
import { jobInput } from "../jobs/jobPayloads.ts";
import { lockAndStake, startChainWithGateway } from "../testing/chainStaking.ts";
import { operatorAccount } from "../testing/operatorAccount.ts";
import { createRecordingChainGateway } from "../testing/recordingChainGateway.ts";
import { commitScore, newSalt, revealAndFinalize } from "../testing/scoreReveal.ts";
import { signedHeaders } from "../testing/signedHeaders.ts";
import { freshDataDir, seedDataDir } from "../testing/templateDataDir.ts";
import { manualClock, startTestApp, type TestApp } from "../testing/testApp.ts";
import { SLASH_FAILED_DUTY_JOB } from "./slashFailedDuty.ts";

const WAD = 10n ** 18n;
const key = () => privateKeyToAccount(generatePrivateKey());
const MINUTE = 60_000;

/**
 * SPEC §2.1/§3: a validator's work is the number of assignments it completed, and a duty not done earns nothing.
 * A missed assignment (no commitment by its deadline) times out: no score, no work credit, and the submission
 * goes to another validator. The attack here: a lazy validator commits to some score (so its assignment is not
 * timed out and handed on), waits for the others' reveals hoping to copy the consensus, then reveals late — or
 * never. Its commitment is a failed duty: the late reveal is refused, the assignment ends `unrevealed`, it has
 * no score and no work credit in the epoch report, like the validator that missed its assignment, and (SPEC §3:
 * failed duties are slashable) `failedDutySlashBps` of its task stake is slashed with published evidence. Everything goes through the coordinator over real HTTP (127.0.0.1).
 */
describe("a validator who commits and does not reveal fails its duty (over real HTTP)", () => {
  const clock = manualClock(new Date(Math.floor(Date.now() / MINUTE) * MINUTE));
  const chain = createRecordingChainGateway();
  let t: TestApp;
  let origin: string;
  afterAll(() => t?.dispose());

  /** A signed JSON request sent over a socket, signed at the coordinator's (manual) clock. */
  async function send(account: LocalAccount, method: "GET" | "POST", path: string, body?: unknown) {
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
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }
  const get = async (path: string) =>
    (await fetch(`${origin}${path}`)).json() as Promise<Record<string, never>>;

  it("the unrevealed commitment earns no score and no work credit, like a missed assignment, and is slashed", async () => {
    t = await startTestApp({
      dataDir: await freshDataDir(),
      clock,
      chain,
      evaluator: { evaluate: async () => ({ metric: 1.25 }) },
    });
    await t.app.http.listen({ host: "127.0.0.1", port: 0 });
    origin = `http://127.0.0.1:${(t.app.http.server.address() as AddressInfo).port}`;
    const start = clock.now().getTime();
    const trainers = [key(), key()];
    const validators = [key(), key(), key(), key()];
    const created = await send(operatorAccount, "POST", "/tasks", {
      title: "lazy validators",
      description: "d",
      type: "lm-lora",
      baseModel: await t.publish("base model"),
      contextLength: 64,
      maxTrainableParams: 1000,
      trainingSetId: await t.publish("train"),
      validationCommitment: contentId("hidden of the lazy validator test"),
      submissionDeadline: new Date(start + 60 * MINUTE).toISOString(),
      endTime: new Date(start + 120 * MINUTE).toISOString(),
      rewardWeight: "1",
      minStake: (1000n * WAD).toString(),
      minLockDays: 0,
    });
    expect(created.status).toBe(201);
    const taskId = created.json.id as number;
    const hidden = await t.artifacts.put(new TextEncoder().encode("hidden"), { maxBytes: 6 });
    await t.repos.artifacts.record({
      id: hidden.id,
      size: hidden.size,
      mediaType: "application/octet-stream",
    });
    await t.repos.tasks.setHiddenValidationSet(taskId, hidden.id);
    for (const trainer of trainers) await t.indexStake(taskId, trainer.address, "trainer", 2000n * WAD);
    for (const v of validators) await t.indexStake(taskId, v.address, "validator", 3000n * WAD);
    for (const [i, trainer] of trainers.entries()) {
      const bytes = new TextEncoder().encode(`adapter ${i}`);
      const commit = await send(trainer, "POST", `/tasks/${taskId}/submissions`, {
        commitHash: contentId(bytes),
      });
      expect(commit.status).toBe(201);
      expect((await t.upload(trainer, `/submissions/${commit.json.id}/artifact`, bytes)).json().status).toBe(
        "accepted",
      );
    }
    clock.set(new Date(start + 60 * MINUTE));
    await t.app.scheduler.runDue();

    const assignments = await t.repos.assignments.listForTask(taskId);
    expect(assignments).toHaveLength(6);
    const accountOf = (address: string) => validators.find((v) => v.address.toLowerCase() === address)!;
    // The lazy validator: one that holds an assignment of each submission.
    const counts = new Map<string, number>();
    for (const a of assignments) counts.set(a.validator, (counts.get(a.validator) ?? 0) + 1);
    const lazy = [...counts.entries()].find(([, n]) => n === 2)![0];
    const score = 1_250_000_000_000_000_000n;
    const reveals: { account: LocalAccount; id: number; salt: string }[] = [];
    let lazyCommit: { id: number; salt: string } | undefined;
    for (const a of assignments) {
      const salt = newSalt();
      const committed = await send(accountOf(a.validator), "POST", `/assignments/${a.id}/commitment`, {
        commitment: scoreCommitment({ assignmentId: a.id, score, salt }),
      });
      expect(committed.status).toBe(201);
      // The lazy validator reveals its first assignment and sits on its second.
      if (a.validator === lazy && lazyCommit === undefined) lazyCommit = { id: a.id, salt };
      else reveals.push({ account: accountOf(a.validator), id: a.id, salt });
    }

    // After the end, everyone else reveals.
    const end = new Date(start + 120 * MINUTE);
    clock.set(new Date(end.getTime() + 1000));
    await t.app.scheduler.runDue();
    for (const r of reveals) {
      const revealed = await send(r.account, "POST", `/assignments/${r.id}/reveal`, {
        score: score.toString(),
        salt: r.salt,
        evidence: {},
      });
      expect(revealed.status).toBe(201);
    }
    // The reveal window closes: the task is finalized and the lazy commitment is a failed duty.
    clock.set(new Date(end.getTime() + t.app.config.revealWindowMs));
    await t.app.scheduler.runDue();
    const lazyAssignment = await t.repos.assignments.get(lazyCommit!.id);
    expect(lazyAssignment.status).toBe("unrevealed");

    // Revealing now, with the consensus in sight, is refused and changes nothing.
    const late = await send(accountOf(lazy), "POST", `/assignments/${lazyCommit!.id}/reveal`, {
      score: score.toString(),
      salt: lazyCommit!.salt,
      evidence: {},
    });
    expect(late.status).toBe(409);
    expect(["REVEAL_WINDOW_CLOSED", "REVEAL_WITHOUT_COMMITMENT"]).toContain(late.json.code);
    expect((await t.repos.assignments.get(lazyCommit!.id)).status).toBe("unrevealed");

    for (let round = 0; round < 3; round++) {
      clock.advance(MINUTE);
      await t.app.scheduler.runDue();
    }
    expect((await t.repos.tasks.get(taskId)).status).toBe("closed");

    // The epoch report: the lazy validator's work is the one assignment it completed, the others' two.
    const epochs = (await get(`/epochs?taskId=${taskId}`)) as unknown as { items: { number: number }[] };
    const [epoch] = epochs.items;
    const report = (await get(`/epochs/${epoch!.number}/report`)) as unknown as {
      inputs: {
        tasks?: { validators: { account: string; completedAssignments: number | string }[] }[];
        validators?: { account: string; completedAssignments: number | string }[];
      };
    };
    const inputs = report.inputs.tasks?.[0]?.validators ?? report.inputs.validators ?? [];
    const work = new Map(inputs.map((v) => [v.account, Number(v.completedAssignments)]));
    expect(work.get(lazy)).toBe(1);
    for (const [validator, n] of counts) if (validator !== lazy) expect(work.get(validator)).toBe(n);
    // Scores: the unrevealed commitment has none, so the lazy validator reported one score, the others theirs.
    const scores = await t.repos.scores.listForTask(taskId);
    expect(scores.filter((s) => s.validator === lazy)).toHaveLength(1);
    expect(scores.some((s) => s.assignmentId === lazyCommit!.id)).toBe(false);
    // SPEC §3: and a slash of failedDutySlashBps of its task stake, with the failed duty as published evidence.
    const slashes = await t.repos.slashes.list({ taskId });
    expect(slashes).toHaveLength(1);
    expect(slashes[0]).toMatchObject({ account: lazy, reason: "failed duty: score not revealed" });
    expect(chain.slashed).toHaveLength(1);
    expect(chain.slashed[0]).toMatchObject({
      taskId,
      account: lazy,
      fractionBps: t.app.config.failedDutySlashBps,
    });
    const evidence = await fetch(`${origin}/artifacts/${slashes[0]!.evidenceId}`);
    expect(evidence.status).toBe(200);
    expect(await evidence.json()).toMatchObject({
      kind: "failed-duty",
      taskId,
      assignmentId: lazyCommit!.id,
      validator: lazy,
      duty: "reveal",
    });
  }, 120_000);
});

/**
 * The same attack on a real chain (anvil, the coordinator's real gateway), over real HTTP: one validator commits
 * and never reveals, another never commits (its assignment times out and goes to the fourth). SPEC §3: failed
 * duties are slashable. Each of the two loses exactly `failedDutySlashBps` of its task stake on-chain; the slash
 * is in the epoch report with its evidence, published at GET /artifacts/:id and hashing to the on-chain evidence
 * hash; a retried slash job takes nothing more; the validators who did their duty keep their whole stake.
 */
describe("failed duties are slashed on-chain (real anvil, real HTTP)", () => {
  const clock = manualClock(new Date());
  const dataDir = mkdtempSync(join(tmpdir(), "flock-server-failed-duty-"));
  let chain: LocalChain;
  let gateway: ChainGateway;
  let t: TestApp;
  let origin: string;

  beforeAll(async () => {
    ({ chain, gateway } = await startChainWithGateway(join(dataDir, "chain")));
    t = await startTestApp({
      chain: gateway,
      clock,
      dataDir: await seedDataDir(join(dataDir, "coordinator")),
    });
    await t.app.http.listen({ host: "127.0.0.1", port: 0 });
    origin = `http://127.0.0.1:${(t.app.http.server.address() as AddressInfo).port}`;
    clock.set(await gateway.blockTime(await gateway.headBlock()));
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await chain?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A signed request sent over a socket (JSON, or bytes with PUT), signed at the coordinator's clock. */
  async function send(account: LocalAccount, method: "GET" | "POST" | "PUT", path: string, body?: unknown) {
    const bytes = body instanceof Uint8Array ? body : undefined;
    const json = body === undefined || bytes !== undefined ? undefined : JSON.stringify(body);
    const headers = await signedHeaders({
      account,
      chainId: chain.chainId,
      verifyingContract: manifestAddresses(chain.manifest).TaskStaking,
      method,
      path,
      ...(bytes !== undefined ? { bodyHash: sha256(bytes) } : json !== undefined ? { body: json } : {}),
      timestamp: Math.floor(clock.now().getTime() / 1000),
    });
    const contentType =
      bytes !== undefined ? "application/octet-stream" : json !== undefined ? "application/json" : undefined;
    const response = await fetch(`${origin}${path}`, {
      method,
      headers: { ...headers, ...(contentType === undefined ? {} : { "content-type": contentType }) },
      ...(bytes !== undefined ? { body: Buffer.from(bytes) } : json !== undefined ? { body: json } : {}),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  it("a validator that does not reveal and one that never commits each lose failedDutySlashBps of their stake, once", async () => {
    const FLOOR = localDeploymentSettings.minStakeFloor;
    const start = clock.now().getTime();
    const created = await send(operatorAccount, "POST", "/tasks", {
      title: "failed duties",
      description: "d",
      type: "lm-lora",
      baseModel: await t.publish("base model"),
      contextLength: 64,
      maxTrainableParams: 1000,
      trainingSetId: await t.publish("train"),
      validationCommitment: contentId("hidden of the failed duty test"),
      submissionDeadline: new Date(start + 60 * MINUTE).toISOString(),
      endTime: new Date(start + 120 * MINUTE).toISOString(),
      rewardWeight: "1",
      minStake: FLOOR.toString(),
      minLockDays: 0,
    });
    expect(created.status).toBe(201);
    const taskId = created.json.id as number;
    const hidden = await t.artifacts.put(new TextEncoder().encode("hidden"), { maxBytes: 6 });
    await t.repos.artifacts.record({
      id: hidden.id,
      size: hidden.size,
      mediaType: "application/octet-stream",
    });
    await t.repos.tasks.setHiddenValidationSet(taskId, hidden.id);
    const trainerKey = chain.accounts[3]!;
    const validatorKeys = [chain.accounts[4]!, chain.accounts[5]!, chain.accounts[6]!, chain.accounts[7]!];
    await lockAndStake(chain.clientFor(trainerKey), { taskId, role: "trainer", amount: FLOOR });
    for (const v of validatorKeys)
      await lockAndStake(chain.clientFor(v), { taskId, role: "validator", amount: FLOOR });
    await t.app.indexer.sync();
    const trainer = privateKeyToAccount(trainerKey.privateKey);
    const adapter = new TextEncoder().encode("an adapter");
    const commit = await send(trainer, "POST", `/tasks/${taskId}/submissions`, {
      commitHash: contentId(adapter),
    });
    expect(commit.status).toBe(201);
    const uploaded = await send(trainer, "PUT", `/submissions/${commit.json.id}/artifact`, adapter);
    expect(uploaded.json.status).toBe("accepted");

    // The deadline passes on the chain and for the coordinator: stakes freeze, three of four are drawn.
    await chain.advanceTime(3_600 + 1);
    clock.set(new Date(start + 60 * MINUTE + 1000));
    await t.app.scheduler.runDue();
    const drawn = await t.repos.assignments.listForTask(taskId);
    expect(drawn).toHaveLength(3);
    const accountOf = (address: string) =>
      privateKeyToAccount(validatorKeys.find((k) => k.address.toLowerCase() === address)!.privateKey);
    const [honest, silent, absent] = drawn as [Assignment, Assignment, Assignment];
    const score = 1_250_000_000_000_000_000n;
    const pending = [
      await commitScore(t, accountOf(honest.validator), honest.id, score),
      await commitScore(t, accountOf(silent.validator), silent.id, score),
    ];
    // The absent validator never commits: its assignment times out and goes to the fourth validator.
    clock.set(new Date(absent.deadline.getTime() + 1000));
    await t.app.scheduler.runDue();
    expect((await t.repos.assignments.get(absent.id)).status).toBe("timed_out");
    const reassigned = (await t.repos.assignments.listForTask(taskId, { status: "open" }))[0]!;
    expect(drawn.map((a) => a.validator)).not.toContain(reassigned.validator);
    pending.push(await commitScore(t, accountOf(reassigned.validator), reassigned.id, score));

    // Everyone who committed reveals, except the silent validator; the window closes and the task finalizes.
    await revealAndFinalize(
      t,
      clock,
      new Date(start + 120 * MINUTE),
      pending.filter((p) => p.assignmentId !== silent.id),
    );
    expect((await t.repos.assignments.get(silent.id)).status).toBe("unrevealed");
    for (let round = 0; round < 3; round++) {
      clock.advance(MINUTE);
      await t.app.scheduler.runDue();
    }
    expect((await t.repos.tasks.get(taskId)).status).toBe("closed");

    // Each failed duty took exactly failedDutySlashBps of the stake on-chain; the others keep all of theirs.
    const bps = t.app.config.failedDutySlashBps;
    expect(bps).toBe(1000);
    const expected = slash(FLOOR, bps);
    const coordinator = chain.clientFor(chain.roles.coordinator);
    const stakeOf = async (account: string) =>
      (await getStake(coordinator, { taskId: BigInt(taskId), account: account as `0x${string}` })).amount;
    for (const failed of [silent, absent])
      expect(await stakeOf(failed.validator)).toBe(FLOOR - expected.slashed);
    for (const dutiful of [honest, reassigned]) expect(await stakeOf(dutiful.validator)).toBe(FLOOR);
    expect(await stakeOf(trainer.address)).toBe(FLOOR);

    const slashes = await t.repos.slashes.list({ taskId });
    expect(slashes.map((s) => [s.account, s.amount, s.reason]).sort()).toEqual(
      [
        [silent.validator, expected.slashed, "failed duty: score not revealed"],
        [absent.validator, expected.slashed, "failed duty: assignment not committed"],
      ].sort(),
    );
    // The evidence is public, names the duty, and hashes to the on-chain evidence hash of the Slashed event.
    const slashedEvents: FlockEvent[] = [];
    for await (const e of readEvents(coordinator, { fromBlock: 0n, kinds: ["slashed"] }))
      slashedEvents.push(e);
    expect(slashedEvents).toHaveLength(2);
    for (const [assignment, duty] of [
      [silent, "reveal"],
      [absent, "commit"],
    ] as const) {
      const record = slashes.find((s) => s.account === assignment.validator)!;
      const response = await fetch(`${origin}/artifacts/${record.evidenceId}`);
      expect(response.status).toBe(200);
      const bytes = new Uint8Array(await response.arrayBuffer());
      expect(sha256(bytes)).toBe(contentIdToBytes32(record.evidenceId));
      expect(JSON.parse(new TextDecoder().decode(bytes))).toMatchObject({
        kind: "failed-duty",
        taskId,
        assignmentId: assignment.id,
        validator: assignment.validator,
        duty,
      });
      const event = slashedEvents.find((e) => e.kind === "slashed" && e.args.evidenceHash === sha256(bytes));
      expect(event).toBeDefined();
    }

    // The epoch report lists both slashes with their evidence.
    const [epoch] = await t.repos.epochs.list({ taskId });
    const report = JSON.parse(new TextDecoder().decode(await t.artifacts.read(epoch!.reportId)));
    const listed = report.inputs.executedSlashes as { account: string; amount: string; evidence: string }[];
    expect(listed.map((s) => [s.account, s.amount, s.evidence]).sort()).toEqual(
      slashes.map((s) => [s.account, s.amount.toString(), s.evidenceId]).sort(),
    );

    // A retried job (as after a crash) slashes nobody twice: not in the store, not on-chain.
    for (const failed of [silent, absent]) {
      await t.repos.jobs.schedule(
        jobInput(SLASH_FAILED_DUTY_JOB, { runAt: clock.now(), payload: { assignmentId: failed.id } }),
      );
    }
    await t.app.scheduler.runDue();
    const record = slashes.find((s) => s.account === silent.validator)!;
    // The chain, asked again with the same evidence (a crash between the chain and the store), takes nothing more.
    await gateway.slash({
      taskId,
      account: silent.validator,
      fractionBps: bps,
      evidenceHash: contentIdToBytes32(record.evidenceId),
      prover: t.app.config.treasury,
    });
    expect(await t.repos.slashes.list({ taskId })).toHaveLength(2);
    for (const failed of [silent, absent])
      expect(await stakeOf(failed.validator)).toBe(FLOOR - expected.slashed);
  }, 180_000);
});
