import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { approve, createFlockReader, getStake, lockFlock, manifestAddresses, stake } from "@flock/chain";
import { contentId, createLogger, FlockError, parseFlock } from "@flock/core";
import {
  createRng,
  formatShareGpt,
  generateInstructionDataset,
  initLlamaParameters,
  llamaConfig,
} from "@flock/engine";
import {
  type EvaluationBackend,
  encodeBaseModel,
  engineEvaluationBackend,
  engineTrainingBackend,
  recipe,
  TrainerDaemon,
  ValidatorDaemon,
} from "@flock/node";
import {
  computeEpoch,
  type EpochExecutedSlash,
  epochInputsFromReport,
  isWorstScore,
  scoreFromMetric,
} from "@flock/protocol";
import { signRequest } from "@flock/sdk";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDataDir } from "../../server/src/testing/templateDataDir.ts";
import { auditEpoch, downloadArtifact, executedSlashChecks, fetchDraw } from "./commands/audit.ts";
import { epochInputChecks } from "./commands/auditInputs.ts";
import { createTask } from "./commands/task.ts";
import type { CommandContext } from "./context.ts";
import { ensureHome } from "./home.ts";
import { bufferIo } from "./io.ts";
import { type EmbeddedNetwork, startEmbeddedNetwork } from "./network/embeddedNetwork.ts";
import { type Participant, participant } from "./network/participant.ts";
import { Output } from "./output.ts";

const root = mkdtempSync(join(tmpdir(), "flock-adversarial-"));
const home = ensureHome(root);
// A migrated empty database, copied instead of created (what the first start would make, seconds sooner).
await seedDataDir(root);
const io = bufferIo();
const ctx: CommandContext = {
  io,
  output: new Output(io, { json: false }),
  home,
  signal: new AbortController().signal,
};
const MAX_ARTIFACT_BYTES = 64 * 1024;
const VALIDATORS = ["ed", "flo", "gus", "ada"];

let network: EmbeddedNetwork;
let base: Uint8Array;
let hiddenSet: Uint8Array;
let taskId: number;
let deadline: number;
const people = new Map<string, Participant>();
let silent = "";
let liar = "";
const who = (name: string) => people.get(name)!;

async function expectCode(promise: Promise<unknown>, codes: string[]): Promise<FlockError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(FlockError);
    expect(codes).toContain((error as FlockError).code);
    return error as FlockError;
  }
  throw new Error(`expected one of ${codes.join(", ")}, but the call succeeded`);
}

async function until2<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function until(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  network = await startEmbeddedNetwork({
    home,
    port: 0,
    logger: createLogger("adversarial", { level: "silent" }),
    serverConfig: {
      schedulerPollMs: 100,
      indexerPollMs: 200,
      assignmentTimeoutMs: 4000,
      // Scores are committed while the task validates and revealed after its end (SPEC §2.1 commit-reveal).
      revealWindowMs: 8000,
      maxArtifactBytes: MAX_ARTIFACT_BYTES,
    },
  });
  for (const name of ["ada", "bo", "cy", "di", "ed", "flo", "gus"]) people.set(name, participant(home, name));
  const config = llamaConfig({ hiddenSize: 16, numLayers: 1, numHeads: 2, vocabSize: 261, maxPositions: 96 });
  base = encodeBaseModel({ config, params: initLlamaParameters(config, createRng(1)) });
  const jsonl = (seed: number, count: number) =>
    new TextEncoder().encode(
      formatShareGpt(generateInstructionDataset({ seed, count }).map((e) => e.conversation)),
    );
  hiddenSet = jsonl(2, 8);
  // Locks first, so the time between the task's creation and its deadline is only staking.
  const locks = [];
  for (const [name, role] of [
    ["bo", "trainer"],
    ["cy", "trainer"],
    ["di", "trainer"],
    ...VALIDATORS.map((v) => [v, "validator"] as const),
  ] as const) {
    const amount = parseFlock("1000");
    await approve(who(name).chain, { token: "FLOCK", spender: "GmFlock", amount });
    locks.push({ name, role, ...(await lockFlock(who(name).chain, { amount, days: 365 })) });
  }
  const now = Date.now();
  deadline = now + 10_000;
  // The local chain's admin holds the operator role: its emission-paid task opens at once (SPEC §3).
  const task = await createTask(ctx, "admin", {
    title: "adversarial",
    description: "",
    baseModel: base,
    trainingSet: jsonl(1, 32),
    validationSet: hiddenSet,
    contextLength: 96,
    maxTrainableParams: 100_000,
    submissionDeadline: new Date(deadline),
    endTime: new Date(deadline + 25_000),
    rewardWeight: 1n,
    minStake: parseFlock("100"),
    minLockDays: 0,
  });
  taskId = task.id;
  for (const { name, role, lockId, gmAmount } of locks) {
    await approve(who(name).chain, { token: "gmFLOCK", spender: "TaskStaking", amount: gmAmount });
    await stake(who(name).chain, { taskId: BigInt(taskId), role, amount: gmAmount, lockId });
  }
}, 60_000);

afterAll(async () => {
  await network?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** A signed commit request sent by hand, so a test can tamper with it or send it twice. */
async function signedCommit(signer: Participant, commitHash: string, claimedAddress?: string) {
  const path = `/tasks/${taskId}/submissions`;
  const body = new TextEncoder().encode(JSON.stringify({ commitHash }));
  const headers = await signRequest({
    account: privateKeyToAccount(signer.key),
    chainId: network.chain.chainId,
    verifyingContract: network.chain.manifest.contracts.TaskStaking.address,
    method: "POST",
    path,
    body,
  });
  if (claimedAddress !== undefined) headers["x-flock-address"] = claimedAddress;
  return {
    url: `${network.apiUrl}${path}`,
    init: { method: "POST", headers: { ...headers, "content-type": "application/json" }, body },
  };
}

describe("adversarial scenarios on a real network (anvil, PGlite, HTTP)", () => {
  let honest: { submissionId: number; artifact: Uint8Array };
  let malformedId: number;

  it("a forged signature (signed by one key, claiming another address) is refused", async () => {
    const request = await signedCommit(who("bo"), contentId("forged"), who("cy").address);
    const response = await fetch(request.url, request.init);
    expect(response.status).toBe(401);
    expect(((await response.json()) as { code: string }).code).toBe("AUTH_BAD_SIGNATURE");
    expect(await who("cy").api.submissions.list(taskId)).toHaveLength(0);
  });

  it("a replayed request is refused: the second identical signed commit never lands", async () => {
    const request = await signedCommit(who("bo"), contentId("replayed"));
    expect((await fetch(request.url, request.init)).status).toBe(201);
    const replay = await fetch(request.url, request.init);
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { code: string }).code).toBe("REQUEST_REPLAYED");
  });

  it("an honest trainer's artifact is accepted; a byte-identical copy by another trainer is marked a copy and slashed", async () => {
    const trainer = new TrainerDaemon({
      coordinator: who("bo").coordinator,
      backend: engineTrainingBackend(),
      recipe: recipe("balanced", { steps: 4, batchSize: 4, seqLen: 96 }),
      stateDir: join(home.nodesDir, "trainer-bo"),
    });
    await trainer.runOnce();
    const entry = (await trainer.state()).tasks[String(taskId)]!;
    expect(entry).toMatchObject({ phase: "uploaded", status: "accepted" });
    const artifact = new Uint8Array(
      readFileSync(join(home.nodesDir, "trainer-bo", "tasks", String(taskId), "artifact.safetensors")),
    );
    honest = { submissionId: entry.submissionId!, artifact };

    const copier = who("cy").api;
    const commit = await copier.submissions.commit(taskId, contentId(artifact));
    const copy = await copier.submissions.uploadArtifact(commit.id, artifact);
    expect(copy.status).toBe("copy");
    expect(copy.copyOf).toBe(honest.submissionId);
    // The copier's stake is slashed on-chain (the evidence is published in the artifact store).
    const staked = 3010n * 10n ** 18n;
    await until(
      async () =>
        (
          await getStake(who("cy").chain, {
            taskId: BigInt(taskId),
            account: who("cy").address as `0x${string}`,
          })
        ).amount < staked,
      15_000,
      "the copier's slash",
    );
    const bo = await getStake(who("bo").chain, {
      taskId: BigInt(taskId),
      account: who("bo").address as `0x${string}`,
    });
    expect(bo.amount).toBe(staked);
  }, 30_000);

  it("an oversized artifact is refused at upload and never stored", async () => {
    const big = new Uint8Array(MAX_ARTIFACT_BYTES + 1024).map((_, i) => i % 251);
    const commit = await who("di").api.submissions.commit(taskId, contentId(big));
    await expectCode(who("di").api.submissions.uploadArtifact(commit.id, big), [
      "ARTIFACT_TOO_LARGE",
      "BODY_TOO_LARGE",
    ]);
    expect((await who("di").api.submissions.get(commit.id)).status).toBe("committed");
    expect(await network.artifacts.has(contentId(big))).toBe(false);
  });

  it("a malformed artifact passes the coordinator's hash check (it does not parse weights)", async () => {
    const garbage = new TextEncoder().encode("this is not a safetensors file, but it hashes fine");
    const commit = await who("di").api.submissions.commit(taskId, contentId(garbage));
    const uploaded = await who("di").api.submissions.uploadArtifact(commit.id, garbage);
    expect(uploaded.status).toBe("accepted");
    malformedId = uploaded.id;
  });

  it("a commit after the submission deadline is refused", async () => {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now() + 300)));
    await expectCode(who("cy").api.submissions.commit(taskId, contentId("late")), [
      "SUBMISSION_AFTER_DEADLINE",
      "TASK_NOT_OPEN",
    ]);
  });

  it("validators score the malformed artifact +∞ with its reason; a lying validator is off consensus, a re-run proves it and it is slashed; a silent validator is timed out and replaced", async () => {
    // Wait for the draw of the honest submission: its first validator stays silent, its second lies.
    await until(
      async () => (await network.repos.assignments.listForSubmission(honest.submissionId)).length === 3,
      15_000,
      "assignments",
    );
    const drawn = (await network.repos.assignments.listForSubmission(honest.submissionId)).map(
      (a) => a.validator,
    );
    const nameOf = (address: string) => VALIDATORS.find((v) => who(v).address === address)!;
    silent = nameOf(drawn[0]!);
    liar = nameOf(drawn[1]!);
    const honestBackend = engineEvaluationBackend();
    const lyingBackend: EvaluationBackend = {
      evaluate: async (job, onProgress) => {
        const result = await honestBackend.evaluate(job, onProgress);
        return { ...result, bpc: result.bpc + 0.5 };
      },
    };
    const daemons = VALIDATORS.filter((v) => v !== silent).map(
      (v) =>
        new ValidatorDaemon({
          coordinator: who(v).coordinator,
          backend: v === liar ? lyingBackend : honestBackend,
          stateDir: join(home.nodesDir, `validator-${v}`),
          maxArtifactBytes: MAX_ARTIFACT_BYTES,
        }),
    );
    for (const d of daemons) d.start(300);
    try {
      const reported = async (submissionId: number) =>
        (await network.repos.assignments.listForSubmission(submissionId)).filter(
          (a) => a.status === "reported",
        ).length;
      // Committed during validation, revealed after the task's end: three revealed scores on the honest one.
      await until(
        async () => (await reported(honest.submissionId)) === 3,
        60_000,
        "three revealed scores on the honest submission",
      );

      // The silent validator timed out; its submission went to a validator not drawn before for it.
      const forSubmission = await network.repos.assignments.listForSubmission(honest.submissionId);
      expect(forSubmission.find((a) => a.validator === who(silent).address)?.status).toBe("timed_out");
      expect(forSubmission).toHaveLength(4);
      expect(new Set(forSubmission.map((a) => a.validator)).size).toBe(4);

      // Honest validators agree bit for bit; anyone re-running the evaluation gets their score, not the liar's.
      const scores = (await network.repos.scores.listForTask(taskId)).filter(
        (x) => x.submissionId === honest.submissionId,
      );
      const liarScore = scores.find((x) => x.validator === who(liar).address)!.score;
      const honestScores = scores.filter((x) => x.validator !== who(liar).address).map((x) => x.score);
      expect(honestScores).toHaveLength(2);
      expect(honestScores[0]).toBe(honestScores[1]);
      const rerun = await engineEvaluationBackend().evaluate({
        baseModelId: contentId(base),
        baseModel: base,
        artifact: honest.artifact,
        validationData: new TextDecoder().decode(hiddenSet),
        contextLength: 96,
        maxTrainableParams: 100_000,
        maxArtifactBytes: MAX_ARTIFACT_BYTES,
      });
      expect(scoreFromMetric(rerun.bpc)).toBe(honestScores[0]);
      expect(liarScore).not.toBe(honestScores[0]);

      // Every validator that got the malformed artifact scored it +∞ (SPEC §2.1: not a refusal, which would be
      // reassigned) with the engine's reason as evidence, and kept running.
      const malformedScores = (await network.repos.scores.listForTask(taskId)).filter(
        (x) => x.submissionId === malformedId,
      );
      expect(malformedScores.length).toBeGreaterThan(0);
      for (const x of malformedScores) {
        expect(isWorstScore(x.score, "lower-is-better")).toBe(true);
        expect(x.evidence).toMatchObject({ bpc: "Infinity", unscorable: "ARTIFACT_MALFORMED" });
      }
      expect(
        (await network.repos.assignments.listForSubmission(malformedId)).filter(
          (a) => a.status === "refused",
        ),
      ).toEqual([]);

      // At the end the epoch pays the honest trainer, not the copier; the liar's accuracy is below the others'.
      const epoch = await until2(
        async () => (await who("ada").api.epochs.list({ taskId })).find((e) => e.txHash !== null),
        60_000,
      );
      const report = JSON.parse(
        new TextDecoder().decode(await who("ada").api.epochs.report(epoch.number)),
      ) as {
        stages: { validatorShares: { account: string; accuracyWad: string }[] };
        outputs: { rewards: { account: string }[] };
      };
      const accuracy = new Map(report.stages.validatorShares.map((v) => [v.account, BigInt(v.accuracyWad)]));
      expect(accuracy.get(who(liar).address)!).toBeLessThan(10n ** 18n);
      for (const v of VALIDATORS.filter((n) => n !== liar && n !== silent))
        expect(accuracy.get(who(v).address)).toBe(10n ** 18n);
      const paid = new Set(report.outputs.rewards.map((r) => r.account));
      expect(paid.has(who("bo").address)).toBe(true);
      expect(paid.has(who("cy").address)).toBe(false);
      // The audit verifies the epoch, the slashes executed on-chain before settlement included: the copier's
      // (at upload; the treasury named as prover), the liar's (the coordinator's dispute at finalization) and
      // the silent validator's failed duties (one per assignment it never committed; the treasury named as
      // prover).
      const missed = (await network.repos.assignments.listForTask(taskId)).filter(
        (a) => a.validator === who(silent).address && a.status === "timed_out",
      );
      expect(missed.length).toBeGreaterThan(0);
      const audit = await auditEpoch(ctx, epoch.number);
      expect(audit.checks.filter((c) => !c.ok)).toEqual([]);
      const slashChecks = audit.checks.filter((c) => c.check.startsWith("executed slash"));
      // Slashed event, transaction, evidence — for each slash.
      expect(slashChecks).toHaveLength((2 + missed.length) * 3);
      expect(audit.checks.map((c) => c.check)).toContain(
        "every on-chain slash of the epoch's tasks before its root was posted is listed",
      );
      const executed = computeEpoch(epochInputsFromReport(report as never)).executedSlashes;
      expect(
        executed
          .map((x) => [
            x.account,
            x.reason === "dishonest score"
              ? "dishonest"
              : x.reason.startsWith("failed duty")
                ? "failed duty"
                : "copy",
            x.prover,
          ])
          .sort(),
      ).toEqual(
        [
          [who("cy").address, "copy", network.chain.roles.treasury.address.toLowerCase()],
          [who(liar).address, "dishonest", network.chain.roles.coordinator.address.toLowerCase()],
          ...missed.map(() => [
            who(silent).address,
            "failed duty",
            network.chain.roles.treasury.address.toLowerCase(),
          ]),
        ].sort(),
      );
      // The slash checks fail on a tampered list: a prover swapped, a slash left out, a forged evidence.
      const reader = createFlockReader({
        rpcUrl: network.chain.rpcUrl,
        chainId: network.chain.chainId,
        addresses: manifestAddresses(network.chain.manifest),
      });
      const slashAudit = (list: EpochExecutedSlash[]) =>
        executedSlashChecks({
          executedSlashes: list,
          tasks: [String(taskId)],
          epoch: epoch.number,
          reader,
          fromBlock: BigInt(network.chain.manifest.blockNumber),
          download: (id) => downloadArtifact(network.apiUrl, id),
        });
      const failing = async (list: EpochExecutedSlash[]) =>
        (await slashAudit(list)).filter((c) => !c.ok).map((c) => c.check);
      expect(await failing(executed)).toEqual([]);
      const [first, ...rest] = executed as [EpochExecutedSlash, ...EpochExecutedSlash[]];
      const swapped = await failing([{ ...first, prover: who("bo").address as `0x${string}` }, ...rest]);
      expect(swapped).toHaveLength(1);
      expect(swapped[0]).toMatch(/on-chain Slashed event/);
      expect(await failing(rest)).toEqual([
        "every on-chain slash of the epoch's tasks before its root was posted is listed",
      ]);
      const forged = await failing([{ ...first, evidence: contentId("forged evidence") }, ...rest]);
      expect(forged.some((c) => c.endsWith("on-chain Slashed event with its evidence hash"))).toBe(true);
      expect(forged.some((c) => c.endsWith("evidence artifact hashes to the recorded evidence"))).toBe(true);
      expect(forged.some((c) => c.startsWith("every on-chain slash"))).toBe(true);
      // The inputs themselves are checked against their sources: a coordinator that invents one fails the audit.
      const honestInputs = epochInputsFromReport(report as never);
      const inputAudit = async (inputs: typeof honestInputs, otherMints = new Map<number, string | null>()) =>
        (
          await epochInputChecks({
            inputs,
            reader,
            verifyingContract: reader.addresses.TaskStaking,
            fromBlock: BigInt(network.chain.manifest.blockNumber),
            otherEpochMints: otherMints,
            draw: (id) => fetchDraw(network.apiUrl, id),
          })
        )
          .filter((c) => !c.ok)
          .map((c) => c.check);
      expect(await inputAudit(honestInputs)).toEqual([]);
      const inflated = structuredClone(honestInputs);
      inflated.validators[0]!.stake = (BigInt(inflated.validators[0]!.stake) * 10n).toString();
      expect(
        (await inputAudit(inflated)).some((c) => /stake of .* = its frozen on-chain stake/.test(c)),
      ).toBe(true);
      const rescored = structuredClone(honestInputs);
      rescored.validators[0]!.scores[0]!.score += 1n;
      expect(
        (await inputAudit(rescored)).some((c) => c.endsWith("the report's score is the revealed one")),
      ).toBe(true);
      const reseeded = structuredClone(honestInputs);
      reseeded.tasks[0]!.drawSeed = {
        blockNumber: reseeded.tasks[0]!.drawSeed!.blockNumber,
        blockHash: `0x${"ee".repeat(32)}`,
      };
      expect((await inputAudit(reseeded)).some((c) => c.endsWith("the draw seed is that block's hash"))).toBe(
        true,
      );
      const overpaid = structuredClone(honestInputs);
      overpaid.emission = (10n ** 27n).toString();
      overpaid.mintIndex = overpaid.mintIndex ?? "0";
      expect((await inputAudit(overpaid)).some((c) => c.includes("covers the epoch's emission"))).toBe(true);
      if (honestInputs.mintIndex !== undefined) {
        const reused = await inputAudit(honestInputs, new Map([[epoch.number + 1, honestInputs.mintIndex]]));
        expect(reused.some((c) => c.endsWith("funds no other epoch"))).toBe(true);
      }

      // A tampered report no longer hashes to the posted report hash either.
      const tamperedReport = structuredClone(report) as unknown as {
        inputs: { executedSlashes: { prover: string }[] };
      };
      tamperedReport.inputs.executedSlashes[0]!.prover = who("bo").address;
      expect(computeEpoch(epochInputsFromReport(tamperedReport as never)).reportHash).not.toBe(
        epoch.reportHash,
      );

      // Anyone may ask the referee to re-run the liar's score (the coordinator opens it at finalization too):
      // the re-run proves it dishonest and its stake is slashed on-chain.
      const path = "/disputes";
      const body = new TextEncoder().encode(
        JSON.stringify({ submissionId: honest.submissionId, validator: who(liar).address }),
      );
      const headers = await signRequest({
        account: privateKeyToAccount(who("bo").key),
        chainId: network.chain.chainId,
        verifyingContract: network.chain.manifest.contracts.TaskStaking.address,
        method: "POST",
        path,
        body,
      });
      const opened = await fetch(`${network.apiUrl}${path}`, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body,
      });
      expect(opened.status).toBe(202);
      const disputeId = ((await opened.json()) as { id: number }).id;
      const decided = await until2(async () => {
        const d = (await (await fetch(`${network.apiUrl}/disputes/${disputeId}`)).json()) as {
          status: string;
          verdict: string | null;
          rerunScore: string | null;
          slashed: string | null;
        };
        return d.status === "decided" || d.status === "failed" ? d : undefined;
      }, 60_000);
      expect(decided).toMatchObject({
        status: "decided",
        verdict: "dishonest",
        rerunScore: honestScores[0]!.toString(),
      });
      expect(BigInt(decided.slashed!)).toBeGreaterThan(0n);
      const liarStake = await getStake(who(liar).chain, {
        taskId: BigInt(taskId),
        account: who(liar).address as `0x${string}`,
      });
      expect(liarStake.amount).toBe(3010n * 10n ** 18n - BigInt(decided.slashed!));
    } finally {
      for (const d of daemons) await d.stop();
    }
  }, 150_000);
});
