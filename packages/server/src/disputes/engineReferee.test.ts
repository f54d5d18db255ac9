import { contentId } from "@flock/core";
import { scoreFromMetric, scoreOrWorst, WORST_SCORE_MAGNITUDE } from "@flock/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ScoredTask, scoredTask } from "../testing/disputeScenario.ts";
import { createRecordingChainGateway } from "../testing/recordingChainGateway.ts";
import { tinyAdapterFile, tinyRefereeFiles, validatorBpc } from "../testing/refereeFixtures.ts";
import { revealAndFinalize } from "../testing/scoreReveal.ts";
import { freshDataDir } from "../testing/templateDataDir.ts";
import { manualClock, startTestApp, type TestApp } from "../testing/testApp.ts";
import { engineSubmissionEvaluator } from "./engineSubmissionEvaluator.ts";
import type { EvaluationInput } from "./submissionEvaluator.ts";

const WAD = 10n ** 18n;
const files = tinyRefereeFiles();
const adapters = [tinyAdapterFile(files.baseModelId, 11), tinyAdapterFile(files.baseModelId, 12)];
const CONTEXT = 48;

function input(artifact: Uint8Array): EvaluationInput {
  return {
    taskType: "lm-lora",
    baseModelId: files.baseModelId,
    baseModel: files.baseModel,
    artifact,
    validationSet: files.hiddenSet,
    contextLength: CONTEXT,
    maxTrainableParams: 100_000,
    maxArtifactBytes: 1 << 20,
  };
}

describe("the referee re-runs evaluations with the real engine", () => {
  const honestBpc: number[] = [];
  beforeAll(async () => {
    for (const a of adapters)
      honestBpc.push(await validatorBpc(files, a, { contextLength: CONTEXT, threads: 2 }));
  });

  it("its re-run is bit-identical to a validator's evaluation (2 threads) and differs between adapters", async () => {
    const referee = engineSubmissionEvaluator();
    for (const [i, a] of adapters.entries()) {
      const { metric } = await referee.evaluate(input(a));
      expect(Object.is(metric, honestBpc[i])).toBe(true);
      expect(scoreFromMetric(metric)).toBe(scoreFromMetric(honestBpc[i]!));
    }
    expect(honestBpc[0]).not.toBe(honestBpc[1]);
    expect(honestBpc[0]).toBeGreaterThan(1);
  });

  it("an artifact validators cannot score is unscorable for the referee too: +∞, the worst score", async () => {
    // One scoring function (the engine's scoreSubmission): a wrong base, a malformed file or an oversize
    // artifact gives +∞ here exactly as in the validator daemon, never a score the validators could not give.
    const foreign = tinyAdapterFile(contentId("another base"), 11);
    expect(await engineSubmissionEvaluator().evaluate(input(foreign))).toEqual({ metric: Infinity });
    const garbage = new TextEncoder().encode("not a safetensors file");
    expect(await engineSubmissionEvaluator().evaluate(input(garbage))).toEqual({ metric: Infinity });
    const oversize = { ...input(adapters[0]!), maxArtifactBytes: adapters[0]!.length - 1 };
    expect(await engineSubmissionEvaluator().evaluate(oversize)).toEqual({ metric: Infinity });
    expect(scoreOrWorst(Infinity, "lower-is-better")).toBe(WORST_SCORE_MAGNITUDE);
  });

  describe("end to end in the coordinator (default engine evaluator, recording chain)", () => {
    const clock = manualClock(new Date(Math.floor(Date.now() / 60_000) * 60_000));
    const chain = createRecordingChainGateway();
    let t: TestApp;
    let task: ScoredTask;
    afterAll(() => t?.dispose());

    it("a validator that reports a false BPC is proven dishonest by the re-run and slashed; honest ones are not", async () => {
      t = await startTestApp({ dataDir: await freshDataDir(), clock, chain });
      const honest = honestBpc.map(scoreFromMetric);
      task = await scoredTask(t, clock, {
        baseModel: files.baseModel,
        hiddenSet: files.hiddenSet,
        artifacts: adapters,
        validatorStakes: [3000n * WAD, 4000n * WAD, 5000n * WAD],
        // Validator 1 claims adapter B is 0.1 bit per byte better than it is.
        scoreOf: (v, trainer) => (v === 1 && trainer === 1 ? honest[1]! - WAD / 10n : honest[trainer]!),
      });
      await revealAndFinalize(t, clock, task.endTime, task.pending); // finalize: open the dispute
      await t.app.scheduler.runDue(); // the referee's re-run
      const [dispute] = await t.repos.jobs.list({ kind: "score.dispute" });
      const outcome = (await t.app.http.inject({ method: "GET", url: `/disputes/${dispute!.id}` })).json();
      expect(outcome).toMatchObject({
        status: "decided",
        verdict: "dishonest",
        validator: task.validators[1]!.address.toLowerCase(),
        submissionId: task.submissions[1],
        reportedScore: (honest[1]! - WAD / 10n).toString(),
        rerunScore: honest[1]!.toString(),
        consensus: honest[1]!.toString(),
      });
      expect(chain.slashed.map((s) => s.account)).toEqual([task.validators[1]!.address.toLowerCase()]);
      for (const v of [task.validators[0]!, task.validators[2]!]) {
        expect(await t.repos.slashes.list({ account: v.address })).toEqual([]);
      }
    });
  });
});
