import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getStake, type LocalChain, manifestAddresses } from "@flock/chain";
import { contentId, parseFlock } from "@flock/core";
import { scoreFromMetric, slash } from "@flock/protocol";
import { sha256 } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { createChainGateway } from "../chain/createChainGateway.ts";
import { lockAndStake, startChainWithGateway } from "../testing/chainStaking.ts";
import {
  tinyAdapterFile,
  tinyHiddenSet,
  tinyRefereeFiles,
  validatorBpc,
} from "../testing/refereeFixtures.ts";
import { commitScore, type PendingReveal, revealAndFinalize } from "../testing/scoreReveal.ts";
import { signedHeaders } from "../testing/signedHeaders.ts";
import { manualClock, startTestApp, type TestApp } from "../testing/testApp.ts";

/**
 * SPEC §2.1: "The referee's re-run is the truth: it replaces a wrong consensus and slashes every validator
 * off it, a colluding majority included." Colluders holding half, then 60%, of the validator stake report a
 * better score than the artifact has; their score is the Yuma consensus (κ = 0.5). At finalization the
 * honest validators are off that consensus, so the coordinator disputes them; the real engine's re-run
 * reproduces the honest score, which replaces the consensus, and the colluders are slashed on-chain.
 */
describe("a colluding majority of validator stake is caught by a dispute (real anvil, real engine)", () => {
  const clock = manualClock(new Date());
  const dataDir = mkdtempSync(join(tmpdir(), "flock-server-collusion-"));
  const files = tinyRefereeFiles();
  let chain: LocalChain;
  let gateway: ReturnType<typeof createChainGateway>;
  let t: TestApp;

  beforeAll(async () => {
    ({ chain, gateway } = await startChainWithGateway(join(dataDir, "chain")));
    t = await startTestApp({
      chain: gateway,
      clock,
      dataDir: join(dataDir, "coordinator"),
      config: { validatorsPerSubmission: 4 },
    });
  });
  afterAll(async () => {
    await t?.close();
    await chain?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const cases = [
    // Two colluders with 2 × 2500 against two honest with 2 × 2500: exactly half the stake.
    { name: "50%", hiddenSeed: 31, stakes: ["2500", "2500", "2500", "2500"], colluders: [0, 1] },
    // Two colluders with 2 × 3000 against two honest with 2 × 2000: 60% of the stake.
    { name: "60%", hiddenSeed: 32, stakes: ["3000", "3000", "2000", "2000"], colluders: [0, 1] },
  ];

  for (const scenario of cases) {
    it(`a colluding ${scenario.name} of validator stake: slashed on-chain, the consensus replaced, the honest paid`, async () => {
      // A daily emission mint funds this task's epoch (the pool the previous one left may be spent).
      await chain.advanceTime(12 * 3600 + 1);
      await gateway.mintEmissionIfDue();
      // The coordinator's clock follows the chain's, so the task's deadlines are in the chain's future.
      clock.set(await gateway.blockTime(await gateway.headBlock()));
      const hiddenSet = tinyHiddenSet(scenario.hiddenSeed);
      const artifact = tinyAdapterFile(files.baseModelId, 40 + scenario.hiddenSeed);
      // The local chain's admin holds the operator role: its emission-paid task opens at once (SPEC §3).
      const creator = privateKeyToAccount(chain.roles.admin.privateKey);
      const trainerKey = chain.accounts[cases.indexOf(scenario) === 0 ? 3 : 8]!;
      const validatorKeys = scenario.stakes.map((_, i) => chain.accounts[4 + i]!);
      const start = clock.now().getTime();
      const created = await t.signed(creator, "POST", "/tasks", {
        title: `collusion ${scenario.name}`,
        description: "d",
        type: "lm-lora",
        baseModel: await t.publish(files.baseModel),
        contextLength: 48,
        maxTrainableParams: 100_000,
        trainingSetId: await t.publish(`train ${scenario.name}`),
        validationCommitment: contentId(hiddenSet),
        submissionDeadline: new Date(start + 3_600_000).toISOString(),
        endTime: new Date(start + 7_200_000).toISOString(),
        rewardWeight: "1",
        minStake: parseFlock("2000").toString(),
        minLockDays: 30,
      });
      expect(created.statusCode).toBe(201);
      const taskId: number = created.json().id;
      const endTime = new Date(start + 7_200_000);
      const hidden = await t.artifacts.put(hiddenSet, { maxBytes: hiddenSet.length });
      await t.repos.artifacts.record({
        id: hidden.id,
        size: hidden.size,
        mediaType: "application/octet-stream",
      });
      await t.repos.tasks.setHiddenValidationSet(taskId, hidden.id);
      await lockAndStake(chain.clientFor(trainerKey), {
        taskId,
        role: "trainer",
        amount: parseFlock("3000"),
        days: 365,
      });
      for (const [i, v] of validatorKeys.entries()) {
        await lockAndStake(chain.clientFor(v), {
          taskId,
          role: "validator",
          amount: parseFlock(scenario.stakes[i]!),
          days: 365,
        });
      }
      await t.app.indexer.sync();

      const trainer = privateKeyToAccount(trainerKey.privateKey);
      const commit = (
        await t.signed(trainer, "POST", `/tasks/${taskId}/submissions`, { commitHash: contentId(artifact) })
      ).json();
      const path = `/submissions/${commit.id}/artifact`;
      const uploaded = await t.app.http.inject({
        method: "PUT",
        url: path,
        headers: {
          ...(await signedHeaders({
            account: trainer,
            chainId: chain.chainId,
            verifyingContract: manifestAddresses(chain.manifest).TaskStaking,
            method: "PUT",
            path,
            bodyHash: sha256(artifact),
            timestamp: Math.floor(clock.now().getTime() / 1000),
          })),
          "content-type": "application/octet-stream",
        },
        payload: Buffer.from(artifact),
      });
      expect(uploaded.json().status).toBe("accepted");

      // The deadline passes on the chain too: the draw's seed is the first block after it.
      await chain.advanceTime(3_600 + 1);
      clock.set(new Date(start + 3_600_000 + 1000));
      await t.app.scheduler.runDue();
      const honest = scoreFromMetric(
        await validatorBpc({ baseModel: files.baseModel, hiddenSet }, artifact, {
          contextLength: 48,
          threads: 1,
        }),
      );
      // The colluders agree on a score 0.3 bit per byte better than the artifact's.
      const lie = honest - parseFlock("0.3");
      const pending: PendingReveal[] = [];
      for (const [i, key] of validatorKeys.entries()) {
        const v = privateKeyToAccount(key.privateKey);
        const assignment = (await t.signed(v, "GET", "/assignments"))
          .json()
          .items.find((a: { submissionId: number }) => a.submissionId === commit.id);
        expect(assignment).toBeDefined();
        pending.push(
          await commitScore(t, v, assignment.id, scenario.colluders.includes(i) ? lie : honest, {}),
        );
      }
      await revealAndFinalize(t, clock, endTime, pending);
      // The colluders' score is the consensus: the coordinator disputes the honest validators off it.
      const disputes = (await t.repos.jobs.list({ kind: "score.dispute" })).filter(
        (j) => j.payload.taskId === taskId,
      );
      expect(disputes.map((d) => d.payload.consensus)).toEqual(
        validatorKeys.filter((_, i) => !scenario.colluders.includes(i)).map(() => lie.toString()),
      );
      await t.app.scheduler.runDue(); // the re-runs, the slashes, then settlement
      await t.app.scheduler.runDue();

      // Consensus replaced: the refereed re-run is the submission's score, on the leaderboard and in the report.
      expect((await t.repos.scores.refereedForTask(taskId)).get(commit.id)?.score).toBe(honest);
      const board = (await t.app.http.inject({ method: "GET", url: `/tasks/${taskId}/leaderboard` })).json();
      expect(board.items[0]).toMatchObject({ submissionId: commit.id, consensusScore: honest.toString() });

      // Slashed on-chain: every colluder loses its fraction, no honest validator loses anything.
      const coordinator = chain.clientFor(chain.roles.coordinator);
      for (const [i, key] of validatorKeys.entries()) {
        const onChain = await getStake(coordinator, { taskId: BigInt(taskId), account: key.address });
        const staked = parseFlock(scenario.stakes[i]!);
        const expected = scenario.colluders.includes(i) ? staked - slash(staked, 5000).slashed : staked;
        expect(onChain.amount).toBe(expected);
        const slashes = await t.repos.slashes.list({ taskId, account: key.address });
        expect(slashes.map((s) => s.reason)).toEqual(
          scenario.colluders.includes(i) ? ["dishonest score"] : [],
        );
      }

      // Settled with the refereed score: the honest validators are paid for accuracy, the colluders nothing.
      const [epoch] = await t.repos.epochs.list({ taskId });
      expect(epoch?.txHash).toMatch(/^0x[0-9a-f]{64}$/);
      const report = JSON.parse(new TextDecoder().decode(await t.artifacts.read(epoch!.reportId)));
      expect(report.inputs.submissions.find((s: { id: string }) => s.id === String(commit.id))).toMatchObject(
        {
          refereedScore: honest.toString(),
        },
      );
      const paid = async (account: string) => {
        const proofs = (
          await t.app.http.inject({ method: "GET", url: `/epochs/${epoch!.number}/proofs/${account}` })
        ).json();
        return BigInt(proofs.liquid?.amount ?? "0") + BigInt(proofs.vesting?.amount ?? "0");
      };
      for (const [i, key] of validatorKeys.entries()) {
        if (scenario.colluders.includes(i)) expect(await paid(key.address)).toBe(0n);
        else expect(await paid(key.address)).toBeGreaterThan(0n);
      }
    });
  }
});
