import {
  AmountError,
  canonicalJson,
  contentId,
  FlockError,
  ProtocolError,
  sha256Hex,
  ValidationError,
  WAD,
} from "@flock/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { verifyRewardProof } from "../rewardTree.ts";
import { computeEpoch, epochRewardProof } from "./computeEpoch.ts";
import { epochReportHash } from "./reportHash.ts";
import {
  type EpochInputs,
  type EpochSlashInput,
  type EpochSubmissionInput,
  type EpochTaskInput,
  type EpochValidatorInput,
  type ExecutedSlashInput,
  MAX_TASK_WEIGHT,
} from "./types.ts";
import { workedEpochInputs } from "./workedEpoch.ts";

const F = WAD; // 1 FLOCK = 1e18 base units
const A = "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B = "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const C = "0xcccccccccccccccccccccccccccccccccccccccc";
const D1 = "0xd1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1";
const D2 = "0xd2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2";
const V1 = "0x1111111111111111111111111111111111111111";
const V2 = "0x2222222222222222222222222222222222222222";
const TREASURY = "0x7777777777777777777777777777777777777777";
const TF = "0xf0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0";
const TG = "0x6060606060606060606060606060606060606060";
const V3 = "0x3333333333333333333333333333333333333333";
const V4 = "0x4444444444444444444444444444444444444444";
const CREATOR_IMG = "0xc1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1";
const CREATOR_EMPTY = "0xc2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2";

/**
 * The worked epoch as it was before network-wide epochs: the one emission-funded task alone, its emission given
 * as the Arena's 1000. Its report must keep the exact bytes it had then.
 */
function singleTaskEpoch(): EpochInputs {
  const inputs = workedEpochInputs();
  const { flStake: _fl, mintIndex: _mint, ...rest } = inputs;
  return {
    ...rest,
    emission: 1000n * F,
    tasks: inputs.tasks.filter((t) => t.id === "chat-bpc"),
    submissions: inputs.submissions.filter((s) => s.task === "chat-bpc"),
    validators: inputs.validators.filter((v) => v.task === "chat-bpc"),
  };
}

describe("the hand-worked epoch (FL share, an emission task, a funded classifier, an empty funded task)", () => {
  const result = computeEpoch(workedEpochInputs());
  const reward = (account: string) => result.rewards.find((r) => r.account === account)!;

  it("reaches consensus in each task's direction: the 4900-stake validator on BPC, the better half of a 50/50 on accuracy", () => {
    // sub-b: V1 says 1.10 (stake 4900), V2 says 1.15 (stake 225): support(1.10) = 4900 ≥ 5125/2 → 1.10
    // sub-f (accuracy, higher is better): V3 says 0.91, V4 0.89, 100 stake each: support(0.91) = 100 ≥ 200/2 → 0.91
    expect(result.stages.consensus).toEqual([
      { submission: "sub-a", task: "chat-bpc", consensus: 1_200_000_000_000_000_000n },
      { submission: "sub-b", task: "chat-bpc", consensus: 1_100_000_000_000_000_000n },
      { submission: "sub-c", task: "chat-bpc", consensus: 1_300_000_000_000_000_000n },
      { submission: "sub-f", task: "img-acc", consensus: 910_000_000_000_000_000n },
      { submission: "sub-g", task: "img-acc", consensus: 870_000_000_000_000_000n },
    ]);
    // lower BPC is better: b (1.10) rank 0, a (1.20) rank 1, c (1.30) rank 2; higher accuracy: f 0, g 1
    expect(result.stages.ranks.map((r) => r.rank)).toEqual([1, 0, 2, 0, 1]);
  });

  it("splits E = 2000 half to FL (equal stake), and the Arena's 1000 all to the one task with weight", () => {
    // S_arena = chat-bpc (T 900 + 2500 + 900 + 200 + 625 = 5125, V 4900 + 225 = 5125) + img-acc (T 500, V 200)
    //         = 10950 = S_FL → E_FL = 2000 · 10950 / 21900 = 1000, E_arena = 1000
    expect(result.stages.stakes).toEqual([
      { task: "chat-bpc", trainerStake: 5125n * F, validatorStake: 5125n * F },
      { task: "empty", trainerStake: 0n, validatorStake: 0n },
      { task: "img-acc", trainerStake: 500n * F, validatorStake: 200n * F },
    ]);
    expect(result.stages.emissionSplit).toEqual({
      arenaStake: 10950n * F,
      flStake: 10950n * F,
      fl: 1000n * F,
      arena: 1000n * F,
    });
    // chat-bpc: R0 = 1000 (weight 1 of 1); γ = 0.1: trainers = 0.1 + 0.8 · 5125 / 10250 = 0.5 → 500 / 500
    // img-acc: R0 = 0 + pool 700; trainers = 700 · (0.1 · 700 + 0.8 · 500) / 700 = 470, validators 230
    // empty: R0 = pool 50, T + V = 0 → half and half, 25 / 25
    expect(result.stages.splits).toEqual([
      {
        task: "chat-bpc",
        emission: 1000n * F,
        pool: 0n,
        r0: 1000n * F,
        trainers: 500n * F,
        validators: 500n * F,
      },
      { task: "empty", emission: 0n, pool: 50n * F, r0: 50n * F, trainers: 25n * F, validators: 25n * F },
      {
        task: "img-acc",
        emission: 0n,
        pool: 700n * F,
        r0: 700n * F,
        trainers: 470n * F,
        validators: 230n * F,
      },
    ]);
  });

  it("pays the funded classifier from its pool: trainers 20 : 8, validators 20 : 18", () => {
    // trainers: f rank 0, √400 = 20; g rank 1, 0.8 · √100 = 8; Σ 28
    //   f = floor(470e18 · 20 / 28) = floor(335714285714285714285.71…) = 335714285714285714285
    //   g = floor(470e18 · 8 / 28) = floor(134285714285714285714.28…) = 134285714285714285714; dust 1
    const byId = Object.fromEntries(result.stages.trainerShares.map((t) => [t.submission, t]));
    expect(byId["sub-f"]!.pw).toBe(335_714_285_714_285_714_285n);
    expect(byId["sub-g"]!.pw).toBe(134_285_714_285_714_285_714n);
    // validators: V3 on consensus twice → accuracy 1, √100 · 1 · 2 = 20;
    //   V4 0.02 below on sub-f (tolerance 0.1 → 0.8) and exact on sub-g → 0.9, 10 · 0.9 · 2 = 18; Σ 38
    //   V3 = floor(230e18 · 20 / 38) = floor(121052631578947368421.05…) = 121052631578947368421
    //   V4 = floor(230e18 · 18 / 38) = floor(108947368421052631578.94…) = 108947368421052631578; dust 1
    const img = result.stages.validatorShares.filter((v) => v.task === "img-acc");
    expect(img.map((v) => [v.account, v.accuracyWad, v.amount])).toEqual([
      [V3, WAD, 121_052_631_578_947_368_421n],
      [V4, 900_000_000_000_000_000n, 108_947_368_421_052_631_578n],
    ]);
  });

  it("gives back to each creator what its pool did not pay: all of the empty task's, the classifier's 2 wei of dust", () => {
    // empty: nobody to pay, both halves unallocated → 50 back; img-acc: the two 1-wei floor remainders → 2 back
    expect(result.refunds).toEqual([
      { task: "empty", creator: CREATOR_EMPTY, pool: 50n * F, refund: 50n * F },
      { task: "img-acc", creator: CREATOR_IMG, pool: 700n * F, refund: 2n },
    ]);
    expect(reward(CREATOR_EMPTY)).toEqual({ account: CREATOR_EMPTY, liquid: 50n * F, vesting: 0n });
    expect(reward(CREATOR_IMG)).toEqual({ account: CREATOR_IMG, liquid: 2n, vesting: 0n });
    const outputs = result.report.outputs as Record<string, unknown>;
    expect(outputs.refunds).toEqual([
      { task: "empty", creator: CREATOR_EMPTY, pool: "50000000000000000000", refund: "50000000000000000000" },
      { task: "img-acc", creator: CREATOR_IMG, pool: "700000000000000000000", refund: "2" },
    ]);
    expect((outputs.totals as Record<string, string>).pools).toBe(String(750n * F));
  });

  it("pays trainers ∝ 0.8^rank × √stake, 60 : 24 : 16", () => {
    // √(3600e18) = 60e9 (b, rank 0: weight 60), √(900e18) = 30e9 (a, rank 1: 0.8 · 30 = 24),
    // √(625e18) = 25e9 (c, rank 2: 0.64 · 25 = 16); Σ = 100
    // pw: b = 500 · 60/100 = 300, a = 500 · 24/100 = 120, c = 500 · 16/100 = 80
    const byId = Object.fromEntries(result.stages.trainerShares.map((t) => [t.submission, t]));
    expect(byId["sub-b"]!.pw).toBe(300n * F);
    expect(byId["sub-a"]!.pw).toBe(120n * F);
    expect(byId["sub-c"]!.pw).toBe(80n * F);
    // po for b (own stake 2500 only: √ = 50): 500 · 50 / (50 + 24 + 16) = 2500/9 = 277.777… → floor
    expect(byId["sub-b"]!.po).toBe(277_777_777_777_777_777_777n);
  });

  it("splits b's delegation gain with σ = 20% and the pool 3 : 1 by amount × seconds", () => {
    // gain = 300e18 − 277777777777777777777 = 22222222222222222223
    // pool = floor(0.8 · 22222222222222222223) = floor(17777777777777777778.4) = 17777777777777777778
    // b keeps 300e18 − 17777777777777777778 = 282222222222222222222
    const b = result.stages.delegation.find((d) => d.submission === "sub-b")!;
    expect(b.effectiveSigmaBps).toBe(2000n);
    expect(b.pool).toBe(17_777_777_777_777_777_778n);
    expect(b.participant).toBe(282_222_222_222_222_222_222n);
    // D1: 900 × 43200 = 38,880,000; D2: 200 × 64800 = 12,960,000 → 3 : 1
    // D1 = floor(17777777777777777778 · 3/4) = floor(13333333333333333333.5) = 13333333333333333333
    // D2 = floor(17777777777777777778 / 4) = floor(4444444444444444444.5) = 4444444444444444444; dust 1
    expect(b.delegators.map((d) => d.reward)).toEqual([
      13_333_333_333_333_333_333n,
      4_444_444_444_444_444_444n,
    ]);
  });

  it("pays validators ∝ √stake × accuracy × work", () => {
    // V1: √4900 = 70, all scores on consensus → accuracy 1, work 3 → 210
    // V2: √225 = 15; sub-a exact (1.0), sub-b off by 0.05 with tolerance 0.1 → 1 − 0.5 = 0.5;
    //     accuracy (1 + 0.5)/2 = 0.75, work 2 → 15 · 0.75 · 2 = 22.5
    // V1 = 500 · 210/232.5 = 500 · 28/31 = 451.612903225806451612903… → 451612903225806451612
    // V2 = 500 · 22.5/232.5 = 500 · 3/31 = 48.387096774193548387096… → 48387096774193548387; dust 1
    const chat = result.stages.validatorShares.filter((v) => v.task === "chat-bpc");
    expect(chat.map((v) => [v.account, v.accuracyWad, v.amount])).toEqual([
      [V1, WAD, 451_612_903_225_806_451_612n],
      [V2, 750_000_000_000_000_000n, 48_387_096_774_193_548_387n],
    ]);
  });

  it("vests 90% of trainer rewards and pays the rest, delegators, validators and the prover liquid", () => {
    // a: 120 → vest 108, liquid 12; c: 80 → 72 / 8
    // b: 282222222222222222222 → vest floor(0.9 ·) = floor(253999999999999999999.8) = 253999999999999999999,
    //    liquid 282222222222222222222 − 253999999999999999999 = 28222222222222222223
    // slash: 10% of 3000 = 300 → V1 (prover) 30, treasury 270
    // V1 liquid = 451612903225806451612 + 30e18 = 481612903225806451612
    // treasury = dust 1 (pool) + 1 (validators) + 270e18 + FL share 1000e18 = 1270000000000000000002
    // f: 335714285714285714285 → vest floor(0.9 ·) = 302142857142857142856, liquid 33571428571428571429
    // g: 134285714285714285714 → vest 120857142857142857142, liquid 13428571428571428572
    expect(reward(A)).toEqual({ account: A, liquid: 12n * F, vesting: 108n * F });
    expect(reward(TF)).toEqual({
      account: TF,
      liquid: 33_571_428_571_428_571_429n,
      vesting: 302_142_857_142_857_142_856n,
    });
    expect(reward(TG)).toEqual({
      account: TG,
      liquid: 13_428_571_428_571_428_572n,
      vesting: 120_857_142_857_142_857_142n,
    });
    expect(reward(B)).toEqual({
      account: B,
      liquid: 28_222_222_222_222_222_223n,
      vesting: 253_999_999_999_999_999_999n,
    });
    expect(reward(C)).toEqual({ account: C, liquid: 8n * F, vesting: 72n * F });
    expect(reward(D1).liquid).toBe(13_333_333_333_333_333_333n);
    expect(reward(D2).liquid).toBe(4_444_444_444_444_444_444n);
    expect(reward(V1).liquid).toBe(481_612_903_225_806_451_612n);
    expect(reward(V2).liquid).toBe(48_387_096_774_193_548_387n);
    expect(result.treasury).toEqual({
      account: TREASURY,
      dust: 2n,
      unallocated: 0n,
      slashes: 270n * F,
      fl: 1000n * F,
      revenue: 0n,
      total: 1_270_000_000_000_000_000_002n,
    });
    expect(reward(TREASURY).liquid).toBe(1_270_000_000_000_000_000_002n);
    expect(result.slashes).toEqual([
      {
        account: "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
        reason: "copied submission",
        stake: 3000n * F,
        fractionBps: 1000n,
        slashed: 300n * F,
        prover: V1,
        toProver: 30n * F,
        toTreasury: 270n * F,
      },
    ]);
  });

  it("pays out exactly emission + pools + slashed: 2000 + 750 + 300 FLOCK", () => {
    const total = result.rewards.reduce((sum, r) => sum + r.liquid + r.vesting, 0n);
    expect(total).toBe(3050n * F);
  });

  it("reports the mint that funds it, and the FL line, only because they were given", () => {
    const inputs = result.report.inputs as Record<string, unknown>;
    expect(result.mintIndex).toBe("6");
    expect(inputs.mintIndex).toBe("6");
    expect(inputs.flStake).toBe(String(10950n * F));
    expect((result.report.outputs as { treasury: Record<string, string> }).treasury.fl).toBe(
      String(1000n * F),
    );
  });

  it("an epoch as it was before network-wide epochs keeps its exact report and hash", () => {
    // Pinned: the report hash the single-task worked epoch had before pools, the FL split, refereed scores and
    // audit fields existed. Published reports of that time must still recompute to their posted hash.
    const before = computeEpoch(singleTaskEpoch());
    expect(before.reportHash).toBe("0x107947fb2e6c9772531919e3d7736bb8a95d7ff717a6173f24840d5d905287f7");
    for (const key of ["flStake", "mintIndex"]) expect(key in (before.report.inputs as object)).toBe(false);
    const outputs = before.report.outputs as Record<string, unknown>;
    expect("refunds" in outputs).toBe(false);
    expect("fl" in (outputs.treasury as object)).toBe(false);
    expect(before.treasury.fl).toBe(0n);
  });

  it("publishes proofs that verify, and a tampered amount that does not", () => {
    for (const r of result.rewards) {
      const liquid = epochRewardProof(result, "liquid", r.account);
      expect(
        verifyRewardProof({
          root: liquid.root,
          epoch: 7n,
          account: r.account,
          amount: r.liquid,
          proof: liquid.proof,
        }),
      ).toBe(true);
      expect(
        verifyRewardProof({
          root: liquid.root,
          epoch: 7n,
          account: r.account,
          amount: r.liquid + 1n,
          proof: liquid.proof,
        }),
      ).toBe(false);
    }
    const vest = epochRewardProof(result, "vesting", B);
    expect(vest.amount).toBe(253_999_999_999_999_999_999n);
    expect(
      verifyRewardProof({
        root: result.trees.vesting.root,
        epoch: 7n,
        account: B,
        amount: vest.amount,
        proof: vest.proof,
      }),
    ).toBe(true);
    expect(() => epochRewardProof(result, "vesting", V1)).toThrow(FlockError); // validators have nothing vesting
  });

  it("hashes the canonical JSON of the report", () => {
    expect(result.reportJson).toBe(canonicalJson(result.report));
    expect(result.reportHash).toBe(`0x${sha256Hex(result.reportJson)}`);
    // a published report, parsed back from its JSON text, hashes to the same value
    expect(epochReportHash(JSON.parse(result.reportJson))).toBe(result.reportHash);
    const outputs = result.report.outputs as Record<string, unknown>;
    expect(outputs.liquidRoot).toBe(result.trees.liquid.root);
    expect((outputs.totals as Record<string, string>).liquid).toBe(
      String(
        3050n * F -
          108n * F -
          72n * F -
          253_999_999_999_999_999_999n -
          302_142_857_142_857_142_856n -
          120_857_142_857_142_857_142n,
      ),
    );
  });
});

describe("slashes executed on-chain before settlement: listed in the report, paid by no tree", () => {
  const E = "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
  // The copier E staked 3000 and lost 50% on-chain: 1500 slashed; V1 proved it and got
  // floor(1500e18 · 1000 / 10000) = 150e18, the treasury 1350e18 (Slashing.slash).
  const copied: ExecutedSlashInput = {
    task: "chat-bpc",
    account: E.toUpperCase().replace("0X", "0x"),
    amount: 1500n * F,
    prover: V1,
    toProver: 150n * F,
    toTreasury: 1350n * F,
    reason: "copied submission",
    evidence: contentId("copy evidence"),
    txHash: `0x${"AB".repeat(32)}`,
  };
  // V2 lied and lost 1999 base units: floor(1999 · 1000 / 10000) = floor(199.9) = 199 to the prover,
  // 1800 to the treasury; the tx hash is unknown.
  const lied: ExecutedSlashInput = {
    task: "chat-bpc",
    account: V2,
    amount: 1999n,
    prover: A,
    toProver: 199n,
    toTreasury: 1800n,
    reason: "dishonest score",
    evidence: contentId("dispute evidence"),
  };
  // No prover was paid: the treasury got all 10 base units.
  const unproven: ExecutedSlashInput = {
    task: "chat-bpc",
    account: C,
    amount: 10n,
    prover: null,
    toProver: 0n,
    toTreasury: 10n,
    reason: "failed duty",
    evidence: contentId("duty evidence"),
    txHash: null,
  };
  const plain = computeEpoch(workedEpochInputs());
  const withExecuted = computeEpoch({ ...workedEpochInputs(), executedSlashes: [copied, lied, unproven] });

  it("pays exactly what the epoch without them pays: rewards, treasury line, roots, 2000 + 750 + 300 FLOCK", () => {
    expect(withExecuted.rewards).toEqual(plain.rewards);
    expect(withExecuted.treasury).toEqual(plain.treasury);
    expect(withExecuted.slashes).toEqual(plain.slashes);
    expect(withExecuted.trees.liquid.root).toBe(plain.trees.liquid.root);
    expect(withExecuted.trees.vesting.root).toBe(plain.trees.vesting.root);
    expect(withExecuted.rewards.reduce((sum, r) => sum + r.liquid + r.vesting, 0n)).toBe(3050n * F);
    expect(withExecuted.report.outputs).toEqual(plain.report.outputs);
  });

  it("lists them in the report's inputs, sorted by evidence id, so the report hash covers them", () => {
    const listed = (withExecuted.report.inputs as { executedSlashes: Record<string, unknown>[] })
      .executedSlashes;
    const byEvidence = [copied, lied, unproven].sort((a, b) => (a.evidence < b.evidence ? -1 : 1));
    expect(listed.map((s) => s.evidence)).toEqual(byEvidence.map((s) => s.evidence));
    expect(listed.find((s) => s.evidence === copied.evidence)).toEqual({
      task: "chat-bpc",
      account: E,
      amount: "1500000000000000000000",
      prover: V1,
      toProver: "150000000000000000000",
      toTreasury: "1350000000000000000000",
      reason: "copied submission",
      evidence: copied.evidence,
      txHash: `0x${"ab".repeat(32)}`,
    });
    expect(listed.find((s) => s.evidence === unproven.evidence)).toMatchObject({
      prover: null,
      txHash: null,
    });
    expect(withExecuted.executedSlashes.map((s) => s.amount).sort()).toEqual([10n, 1999n, 1500n * F].sort());
    expect(withExecuted.reportHash).not.toBe(plain.reportHash);
    expect(epochReportHash(JSON.parse(withExecuted.reportJson))).toBe(withExecuted.reportHash);
    // one changed figure in the list changes the hash
    const tampered = computeEpoch({
      ...workedEpochInputs(),
      executedSlashes: [copied, { ...lied, txHash: `0x${"cd".repeat(32)}` }, unproven],
    });
    expect(tampered.reportHash).not.toBe(withExecuted.reportHash);
  });

  it("an epoch without executed slashes keeps the report it had before the list existed (no empty key)", () => {
    expect("executedSlashes" in (plain.report.inputs as object)).toBe(false);
    expect(computeEpoch({ ...workedEpochInputs(), executedSlashes: [] }).reportHash).toBe(plain.reportHash);
  });

  const expectRejected = (slash: ExecutedSlashInput, code: string, others: ExecutedSlashInput[] = []) => {
    try {
      computeEpoch({ ...workedEpochInputs(), executedSlashes: [...others, slash] });
      expect.unreachable(`expected ${code}`);
    } catch (error) {
      expect(error).toBeInstanceOf(FlockError);
      expect((error as FlockError).code).toBe(code);
      expect((error as FlockError).hint).toBeTruthy();
    }
  };

  it("refuses parts that break the contract's rule", () => {
    // floor(199.9) is 199, not 200
    expectRejected({ ...lied, toProver: 200n, toTreasury: 1799n }, "EXECUTED_SLASH_PROVER_SHARE");
    // no prover, no prover's part
    expectRejected({ ...unproven, toProver: 1n, toTreasury: 9n }, "EXECUTED_SLASH_PROVER_SHARE");
    // the parts must sum to the amount
    expectRejected({ ...lied, toTreasury: 1801n }, "EXECUTED_SLASH_PARTS");
    expectRejected({ ...lied, amount: 0n, toProver: 0n, toTreasury: 0n }, "EXECUTED_SLASH_EMPTY");
  });

  it("refuses a prover paid for its own fault, one evidence used twice, an unknown task, malformed ids", () => {
    expectRejected({ ...lied, prover: V2 }, "SELF_PROOF");
    expectRejected({ ...lied, account: C }, "DUPLICATE_ENTRY", [{ ...lied }]);
    expectRejected({ ...lied, task: "other-task" }, "UNKNOWN_TASK");
    expectRejected({ ...lied, evidence: "not-a-content-id" }, "CONTENT_ID_MALFORMED");
    expectRejected({ ...lied, txHash: "0x1234" }, "TX_HASH_MALFORMED");
    expectRejected({ ...lied, reason: "" }, "SLASH_REASON_MISSING");
  });
});

// ---------- random epochs for the properties ----------

/** Bounded runs: a failing property must report (shrunk as far as 10 s allow), never hang the suite. */
const runs = (numRuns: number) => ({
  numRuns,
  interruptAfterTimeLimit: 10_000,
  markInterruptAsFailure: true,
});

const address = (n: number): string => `0x${n.toString(16).padStart(40, "0")}`;

const arbTask = fc.record({
  weight: fc.oneof(fc.bigInt({ min: 0n, max: 5n }), fc.bigInt({ min: 0n, max: MAX_TASK_WEIGHT })),
  pool: fc.option(fc.bigInt({ min: 1n, max: 10n ** 24n })),
  gammaBps: fc.bigInt({ min: 0n, max: 5000n }),
  higher: fc.boolean(),
  submissions: fc.array(
    fc.record({
      stake: fc.bigInt({ min: 0n, max: 10n ** 23n }),
      sigmaBps: fc.bigInt({ min: 0n, max: 10_000n }),
      delegators: fc.array(
        fc.record({
          amount: fc.bigInt({ min: 0n, max: 10n ** 23n }),
          seconds: fc.bigInt({ min: 0n, max: 86_400n }),
        }),
        { maxLength: 2 },
      ),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  validators: fc.array(
    fc.record({
      stake: fc.bigInt({ min: 1n, max: 10n ** 23n }),
      completed: fc.integer({ min: 0, max: 3 }),
      scores: fc.array(fc.option(fc.integer({ min: 0, max: 4 })), { minLength: 3, maxLength: 3 }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
});

const arbEpoch = fc
  .record({
    emission: fc.bigInt({ min: 0n, max: 10n ** 24n }),
    flStake: fc.option(fc.bigInt({ min: 0n, max: 10n ** 24n })),
    tasks: fc.array(arbTask, { minLength: 1, maxLength: 2 }),
    slashes: fc.array(
      fc.record({
        stake: fc.bigInt({ min: 0n, max: 10n ** 23n }),
        bps: fc.bigInt({ min: 0n, max: 10_000n }),
        prover: fc.boolean(),
      }),
      {
        maxLength: 2,
      },
    ),
  })
  .map(({ emission, flStake, tasks, slashes }): EpochInputs => {
    let next = 1;
    const fresh = () => address(next++);
    const taskList: EpochTaskInput[] = [];
    const submissionList: EpochSubmissionInput[] = [];
    const validatorList: EpochValidatorInput[] = [];
    const slashList: EpochSlashInput[] = [];
    tasks.forEach((t, ti) => {
      const task = `task-${ti}`;
      taskList.push({
        id: task,
        weight: t.weight,
        gammaBps: t.gammaBps,
        direction: t.higher ? "higher-is-better" : "lower-is-better",
        ...(t.pool === null ? {} : { pool: t.pool, creator: fresh() }),
      });
      t.submissions.forEach((s, si) => {
        submissionList.push({
          id: `${task}-s${si}`,
          task,
          account: fresh(),
          stake: s.stake,
          sigmaBps: s.sigmaBps,
          delegators: s.delegators.map((d) => ({ account: fresh(), ...d })),
        });
      });
      t.validators.forEach((v) => {
        validatorList.push({
          account: fresh(),
          task,
          stake: v.stake,
          completedAssignments: v.completed,
          scores: v.scores
            .map((score, si) => ({ score, si }))
            .filter(({ score, si }) => score !== null && si < t.submissions.length)
            .map(({ score, si }) => ({ submission: `${task}-s${si}`, score: BigInt(score!) * 10n ** 17n })),
        });
      });
    });
    slashes.forEach((s) => {
      slashList.push({
        account: fresh(),
        stake: s.stake,
        fractionBps: s.bps,
        prover: s.prover ? address(1) : null,
        reason: "dishonest score",
      });
    });
    return {
      epoch: 1n,
      emission,
      ...(flStake === null ? {} : { flStake }),
      treasury: address(0xffff),
      tasks: taskList,
      submissions: submissionList,
      validators: validatorList,
      slashes: slashList,
      params: { toleranceScore: 2n * 10n ** 17n },
    };
  });

/** A reordering of every list (and upper-cased accounts): the outputs must not change. */
function scramble(inputs: EpochInputs, shift: number): EpochInputs {
  const rotate = <T>(list: readonly T[] | undefined): T[] => {
    const l = [...(list ?? [])].reverse();
    const k = l.length === 0 ? 0 : shift % l.length;
    return [...l.slice(k), ...l.slice(0, k)];
  };
  const upper = (account: string) => `0x${account.slice(2).toUpperCase()}`;
  return {
    ...inputs,
    tasks: rotate(inputs.tasks),
    submissions: rotate(inputs.submissions).map((s) => ({
      ...s,
      account: upper(s.account),
      delegators: rotate(s.delegators),
    })),
    validators: rotate(inputs.validators).map((v) => ({ ...v, scores: rotate(v.scores) })),
    slashes: rotate(inputs.slashes),
    executedSlashes: rotate(inputs.executedSlashes),
  };
}

/** Σ pools of the epoch's tasks. */
const poolsOf = (inputs: EpochInputs): bigint =>
  inputs.tasks.reduce((sum, t) => sum + BigInt(t.pool ?? 0n), 0n);

const totalOf = (result: ReturnType<typeof computeEpoch>, account: string): bigint => {
  const r = result.rewards.find((x) => x.account === account);
  return r === undefined ? 0n : r.liquid + r.vesting;
};

describe("epoch properties", () => {
  it("conservation: Σ liquid + Σ vesting == emission + Σ pools + Σ slashed, exactly (property)", () => {
    fc.assert(
      fc.property(arbEpoch, (inputs) => {
        const result = computeEpoch(inputs);
        const out = result.rewards.reduce((sum, r) => sum + r.liquid + r.vesting, 0n);
        const slashed = result.slashes.reduce((sum, s) => sum + s.slashed, 0n);
        expect(out).toBe(BigInt(inputs.emission) + poolsOf(inputs) + slashed);
        const leaves = [...result.trees.liquid.leaves, ...result.trees.vesting.leaves].reduce(
          (s, l) => s + l.amount,
          0n,
        );
        expect(leaves).toBe(out);
      }),
      runs(60),
    );
  });

  it("executed slashes change no reward, no leaf and not conservation, but change the report hash (property)", () => {
    const arbExecuted = fc.array(
      fc.record({
        amount: fc.bigInt({ min: 1n, max: 10n ** 23n }),
        proven: fc.boolean(),
        txHash: fc.option(fc.constantFrom(`0x${"12".repeat(32)}`, `0x${"fe".repeat(32)}`)),
      }),
      { minLength: 1, maxLength: 3 },
    );
    fc.assert(
      fc.property(arbEpoch, arbExecuted, (inputs, executed) => {
        const executedSlashes = executed.map((e, i): ExecutedSlashInput => {
          const toProver = e.proven ? (e.amount * 1000n) / 10_000n : 0n;
          return {
            task: inputs.tasks[0]!.id,
            account: address(0xe000 + i),
            amount: e.amount,
            prover: e.proven ? address(0xd000 + i) : null,
            toProver,
            toTreasury: e.amount - toProver,
            reason: "dishonest score",
            evidence: contentId(`evidence ${i}`),
            txHash: e.txHash,
          };
        });
        const plain = computeEpoch(inputs);
        const result = computeEpoch({ ...inputs, executedSlashes });
        expect(result.rewards).toEqual(plain.rewards);
        expect(result.treasury).toEqual(plain.treasury);
        expect(result.trees.liquid.leaves).toEqual(plain.trees.liquid.leaves);
        expect(result.trees.vesting.leaves).toEqual(plain.trees.vesting.leaves);
        const out = result.rewards.reduce((sum, r) => sum + r.liquid + r.vesting, 0n);
        const slashed = result.slashes.reduce((sum, s) => sum + s.slashed, 0n);
        expect(out).toBe(BigInt(inputs.emission) + poolsOf(inputs) + slashed);
        expect(result.executedSlashes).toHaveLength(executed.length);
        expect(result.reportHash).not.toBe(plain.reportHash);
      }),
      runs(40),
    );
  });

  it("permutation invariance: reordered inputs give a byte-identical report (property)", () => {
    fc.assert(
      fc.property(arbEpoch, fc.nat(7), (inputs, shift) => {
        expect(computeEpoch(scramble(inputs, shift)).reportJson).toBe(computeEpoch(inputs).reportJson);
      }),
      runs(40),
    );
  });

  it("determinism: the same inputs give the same report bytes and hash (property)", () => {
    fc.assert(
      fc.property(arbEpoch, (inputs) => {
        const first = computeEpoch(inputs);
        const second = computeEpoch(structuredClone(inputs));
        expect(second.reportJson).toBe(first.reportJson);
        expect(second.reportHash).toBe(first.reportHash);
      }),
      runs(30),
    );
  });

  it("monotonicity: more own stake never pays a trainer less, all else equal (property)", () => {
    fc.assert(
      fc.property(arbEpoch, fc.bigInt({ min: 1n, max: 10n ** 23n }), (inputs, extra) => {
        const target = inputs.submissions[0]!;
        const richer = {
          ...inputs,
          submissions: inputs.submissions.map((s, i) =>
            i === 0 ? { ...s, stake: BigInt(s.stake) + extra } : s,
          ),
        };
        expect(totalOf(computeEpoch(richer), target.account)).toBeGreaterThanOrEqual(
          totalOf(computeEpoch(inputs), target.account),
        );
      }),
      runs(40),
    );
  });

  it("monotonicity: a better consensus score (better rank) never pays a trainer less (property)", () => {
    fc.assert(
      fc.property(arbEpoch, (inputs) => {
        const target = inputs.submissions[0]!;
        const direction = inputs.tasks.find((t) => t.id === target.task)!.direction;
        const step = direction === "lower-is-better" ? -(10n ** 17n) : 10n ** 17n;
        // every validator reports a better score for the target: distances to consensus are unchanged
        const better = {
          ...inputs,
          validators: inputs.validators.map((v) => ({
            ...v,
            scores: v.scores.map((s) => (s.submission === target.id ? { ...s, score: s.score + step } : s)),
          })),
        };
        expect(totalOf(computeEpoch(better), target.account)).toBeGreaterThanOrEqual(
          totalOf(computeEpoch(inputs), target.account),
        );
      }),
      runs(40),
    );
  });

  it("monotonicity: more stake never pays a validator less when all validators agree (property)", () => {
    fc.assert(
      fc.property(arbEpoch, fc.bigInt({ min: 1n, max: 10n ** 23n }), (inputs, extra) => {
        // make every validator agree exactly with one score per submission, so accuracy is fixed at 1
        const agreed = {
          ...inputs,
          validators: inputs.validators.map((v) => ({
            ...v,
            scores: v.scores.map((s) => ({ ...s, score: 10n ** 18n })),
          })),
        };
        const target = agreed.validators[0]!;
        const richer = {
          ...agreed,
          validators: agreed.validators.map((v, i) =>
            i === 0 ? { ...v, stake: BigInt(v.stake) + extra } : v,
          ),
        };
        expect(totalOf(computeEpoch(richer), target.account)).toBeGreaterThanOrEqual(
          totalOf(computeEpoch(agreed), target.account),
        );
      }),
      runs(40),
    );
  });

  it("bounds: a pool's σ outside [σmin, σmax] is clamped into them (property)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10_000n }), (sigma) => {
        const inputs = workedEpochInputs();
        const withSigma = {
          ...inputs,
          submissions: inputs.submissions.map((s) => (s.id === "sub-b" ? { ...s, sigmaBps: sigma } : s)),
        };
        const row = computeEpoch(withSigma).stages.delegation.find((d) => d.submission === "sub-b")!;
        const expected = sigma < 1000n ? 1000n : sigma > 5000n ? 5000n : sigma;
        expect(row.effectiveSigmaBps).toBe(expected);
        expect(row.sigmaBps).toBe(sigma);
      }),
      runs(30),
    );
  });
});

describe("epoch inputs that are rejected with a clear FlockError", () => {
  const base = workedEpochInputs;
  const expectError = (inputs: EpochInputs, type: typeof FlockError, code: string) => {
    try {
      computeEpoch(inputs);
      expect.unreachable(`expected ${code}`);
    } catch (error) {
      expect(error).toBeInstanceOf(type);
      expect((error as FlockError).code).toBe(code);
      expect((error as FlockError).hint).toBeTruthy();
    }
  };

  it("a negative stake", () => {
    const inputs = base();
    expectError(
      { ...inputs, submissions: inputs.submissions.map((s, i) => (i === 0 ? { ...s, stake: -1n } : s)) },
      AmountError,
      "AMOUNT_NEGATIVE",
    );
  });

  it("a fractional amount", () => {
    const inputs = base();
    expectError({ ...inputs, emission: 1.5 }, AmountError, "AMOUNT_NOT_INTEGER");
    expectError({ ...inputs, emission: "12.5" }, AmountError, "AMOUNT_MALFORMED");
  });

  it("σ out of range", () => {
    const inputs = base();
    expectError(
      {
        ...inputs,
        submissions: inputs.submissions.map((s) => (s.id === "sub-b" ? { ...s, sigmaBps: 10_001n } : s)),
      },
      ValidationError,
      "SIGMA_OUT_OF_RANGE",
    );
  });

  it("a task weight above the bound", () => {
    const inputs = base();
    expectError(
      {
        ...inputs,
        tasks: inputs.tasks.map((t, i) => (i === 0 ? { ...t, weight: MAX_TASK_WEIGHT + 1n } : t)),
      },
      ValidationError,
      "TASK_WEIGHT_TOO_LARGE",
    );
    // the bound itself is accepted
    computeEpoch({
      ...inputs,
      tasks: inputs.tasks.map((t, i) => (i === 0 ? { ...t, weight: MAX_TASK_WEIGHT } : t)),
    });
  });

  it("a funded pool without a creator, a negative pool", () => {
    const inputs = base();
    const img = (patch: Partial<EpochTaskInput>) => ({
      ...inputs,
      tasks: inputs.tasks.map((t) => (t.id === "img-acc" ? { ...t, ...patch } : t)),
    });
    expectError(img({ creator: undefined }), ValidationError, "POOL_CREATOR_MISSING");
    expectError(img({ pool: -1n }), AmountError, "AMOUNT_NEGATIVE");
    expectError(img({ creator: "0x1234" }), ValidationError, "ACCOUNT_MALFORMED");
  });

  it("duplicate accounts: one trainer twice on a task, a validator twice, a delegator twice in a pool", () => {
    const inputs = base();
    const [first] = inputs.submissions;
    expectError(
      {
        ...inputs,
        submissions: [
          ...inputs.submissions,
          { ...first!, id: "sub-a2", account: first!.account.toLowerCase() },
        ],
      },
      ProtocolError,
      "DUPLICATE_ENTRY",
    );
    expectError(
      { ...inputs, validators: [...inputs.validators, inputs.validators[1]!] },
      ProtocolError,
      "DUPLICATE_ENTRY",
    );
    expectError(
      {
        ...inputs,
        submissions: inputs.submissions.map((s) =>
          s.id === "sub-b"
            ? {
                ...s,
                delegators: [
                  ...s.delegators!,
                  { ...s.delegators![0]!, account: D1.toUpperCase().replace("0X", "0x") },
                ],
              }
            : s,
        ),
      },
      ProtocolError,
      "DUPLICATE_ENTRY",
    );
  });

  it("a delegated stake that does not match the pool's delegators", () => {
    const inputs = base();
    const withDelegated = (amount: bigint) => ({
      ...inputs,
      submissions: inputs.submissions.map((s) => (s.id === "sub-b" ? { ...s, delegatedStake: amount } : s)),
    });
    expectError(withDelegated(1000n * F), ValidationError, "DELEGATED_STAKE_MISMATCH");
    // the matching figure (900 + 200) is accepted and changes nothing
    expect(computeEpoch(withDelegated(1100n * F)).reportHash).toBe(computeEpoch(inputs).reportHash);
  });

  it("an account that is trainer and validator on one task", () => {
    const inputs = base();
    expectError(
      { ...inputs, validators: inputs.validators.map((v, i) => (i === 1 ? { ...v, account: C } : v)) },
      ProtocolError,
      "TRAINER_AND_VALIDATOR",
    );
  });

  it("a malformed account and a score for an unknown submission", () => {
    const inputs = base();
    expectError({ ...inputs, treasury: "0x1234" }, ValidationError, "ACCOUNT_MALFORMED");
    expectError(
      {
        ...inputs,
        validators: inputs.validators.map((v, i) =>
          i === 1 ? { ...v, scores: [{ submission: "nope", score: 1n }] } : v,
        ),
      },
      ValidationError,
      "UNKNOWN_SUBMISSION",
    );
  });

  it("a β that is not a dyadic fraction", () => {
    expectError({ ...base(), params: { betaWad: (WAD * 3n) / 10n } }, ValidationError, "BETA_NOT_DYADIC");
  });
});
