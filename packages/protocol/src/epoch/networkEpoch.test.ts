import { type FlockError, ProtocolError, ValidationError, WAD } from "@flock/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { computeEpoch } from "./computeEpoch.ts";
import { epochReportHash } from "./reportHash.ts";
import {
  type EpochInputs,
  type EpochSubmissionInput,
  type EpochTaskInput,
  type EpochValidatorInput,
  MAX_TASK_WEIGHT,
  type ScoreRevealInput,
} from "./types.ts";
import { workedEpochInputs } from "./workedEpoch.ts";

const F = WAD;
const address = (n: number): string => `0x${n.toString(16).padStart(40, "0")}`;
const TREASURY = address(0x7777);
const paidTotal = (result: ReturnType<typeof computeEpoch>) =>
  result.rewards.reduce((sum, r) => sum + r.liquid + r.vesting, 0n);
const totalOf = (result: ReturnType<typeof computeEpoch>, account: string): bigint => {
  const r = result.rewards.find((x) => x.account === account);
  return r === undefined ? 0n : r.liquid + r.vesting;
};

describe("refereed consensus: the referee's re-run replaces a wrong median (SPEC §2.1)", () => {
  // Two BPC submissions. x's honest BPC is 1.10, but a colluding 60% of the validator stake flatters it with 0.50;
  // everyone agrees y is 0.90. The median makes x the winner; the referee's re-run (1.10) says y is.
  const HONEST = address(0x10);
  const COLLUDER_1 = address(0x11);
  const COLLUDER_2 = address(0x12);
  const X = address(0xa1);
  const Y = address(0xa2);
  const score = (submission: string, value: string) => ({
    submission,
    score: BigInt(Math.round(Number(value) * 100)) * 10n ** 16n,
  });
  const inputs = (refereed?: bigint): EpochInputs => ({
    epoch: 3n,
    emission: 1000n * F,
    treasury: TREASURY,
    tasks: [{ id: "t", weight: 1n, gammaBps: 1000n, direction: "lower-is-better" }],
    submissions: [
      {
        id: "x",
        task: "t",
        account: X,
        stake: 100n * F,
        ...(refereed === undefined ? {} : { refereedScore: refereed }),
      },
      { id: "y", task: "t", account: Y, stake: 100n * F },
    ],
    validators: [
      {
        account: HONEST,
        task: "t",
        stake: 400n * F,
        completedAssignments: 2n,
        scores: [score("x", "1.10"), score("y", "0.90")],
      },
      {
        account: COLLUDER_1,
        task: "t",
        stake: 300n * F,
        completedAssignments: 2n,
        scores: [score("x", "0.50"), score("y", "0.90")],
      },
      {
        account: COLLUDER_2,
        task: "t",
        stake: 300n * F,
        completedAssignments: 2n,
        scores: [score("x", "0.50"), score("y", "0.90")],
      },
    ],
  });
  const colluded = computeEpoch(inputs());
  const refereed = computeEpoch(inputs(110n * 10n ** 16n));

  it("without a referee the colluding 60% decides: x ranks first on a fake 0.50", () => {
    expect(colluded.stages.consensus.find((c) => c.submission === "x")!.consensus).toBe(50n * 10n ** 16n);
    expect(colluded.stages.ranks).toEqual([
      { submission: "x", rank: 0 },
      { submission: "y", rank: 1 },
    ]);
  });

  it("with the re-run, x's consensus is 1.10, y ranks first, and the report shows both values", () => {
    expect(refereed.stages.consensus.find((c) => c.submission === "x")).toEqual({
      submission: "x",
      task: "t",
      consensus: 110n * 10n ** 16n,
      median: 50n * 10n ** 16n,
      refereedScore: 110n * 10n ** 16n,
    });
    expect(refereed.stages.ranks).toEqual([
      { submission: "x", rank: 1 },
      { submission: "y", rank: 0 },
    ]);
    expect(totalOf(refereed, Y)).toBeGreaterThan(totalOf(refereed, X));
    const rows = (refereed.report.stages as { consensus: Record<string, unknown>[] }).consensus;
    expect(rows.find((r) => r.submission === "x")).toMatchObject({
      median: "500000000000000000",
      refereedScore: "1100000000000000000",
    });
    // an unrefereed submission's row keeps its old shape
    expect(Object.keys(rows.find((r) => r.submission === "y")!).sort()).toEqual([
      "consensus",
      "submission",
      "task",
    ]);
    const submissions = (refereed.report.inputs as { submissions: Record<string, unknown>[] }).submissions;
    expect(submissions.find((s) => s.id === "x")!.refereedScore).toBe("1100000000000000000");
  });

  it("the colluders' accuracy drops to 0 and the honest minority's is full: it takes the whole validator pot", () => {
    const accuracy = Object.fromEntries(
      refereed.stages.validatorShares.map((v) => [v.account, v.accuracyWad]),
    );
    // x: colluders 0.60 off the re-run (tolerance 0.01) → 0; y: on consensus → 1; mean 0.5
    expect(accuracy[COLLUDER_1]).toBe(WAD / 2n);
    expect(accuracy[COLLUDER_2]).toBe(WAD / 2n);
    expect(accuracy[HONEST]).toBe(WAD);
    // before the referee, the honest validator was the one marked off consensus on x
    const before = Object.fromEntries(colluded.stages.validatorShares.map((v) => [v.account, v.accuracyWad]));
    expect(before[HONEST]).toBe(WAD / 2n);
    expect(before[COLLUDER_1]).toBe(WAD);
    expect(totalOf(refereed, HONEST)).toBeGreaterThan(totalOf(colluded, HONEST));
    expect(totalOf(refereed, COLLUDER_1)).toBeLessThan(totalOf(colluded, COLLUDER_1));
  });

  it("with a single refereed submission the colluders earn nothing and the honest validator everything", () => {
    const only = inputs(110n * 10n ** 16n);
    const single = computeEpoch({
      ...only,
      submissions: only.submissions.filter((s) => s.id === "x"),
      validators: only.validators.map((v) => ({
        ...v,
        completedAssignments: 1n,
        scores: v.scores.filter((s) => s.submission === "x"),
      })),
    });
    const shares = Object.fromEntries(single.stages.validatorShares.map((v) => [v.account, v]));
    expect(shares[COLLUDER_1]!.accuracyWad).toBe(0n);
    expect(shares[COLLUDER_2]!.accuracyWad).toBe(0n);
    expect(shares[HONEST]!.accuracyWad).toBe(WAD);
    expect(shares[COLLUDER_1]!.amount + shares[COLLUDER_2]!.amount).toBe(0n);
    expect(shares[HONEST]!.amount).toBe(single.stages.splits[0]!.validators);
  });

  it("refuses a refereed score that is not a bigint", () => {
    const bad = inputs();
    expect(() =>
      computeEpoch({
        ...bad,
        submissions: bad.submissions.map((s) => ({ ...s, refereedScore: 1.1 as unknown as bigint })),
      }),
    ).toThrow(expect.objectContaining({ code: "INTEGER_NOT_BIGINT" }));
  });
});

describe("a funded task nobody could validate gives its pool back; its emission share stays the network's", () => {
  const CREATOR = address(0xc0);
  const inputs: EpochInputs = {
    epoch: 9n,
    emission: 1000n * F,
    treasury: TREASURY,
    tasks: [
      {
        id: "t",
        weight: 1n,
        gammaBps: 1000n,
        direction: "lower-is-better",
        pool: 3000n * F,
        creator: CREATOR,
      },
    ],
    submissions: [{ id: "s", task: "t", account: address(0xa1), stake: 100n * F }],
    validators: [],
  };
  const result = computeEpoch(inputs);

  it("pays no trainer (no consensus) and splits the unpaid R0 = 1000 + 3000 by what each funder put in", () => {
    // R0 = 4000 unallocated; refund = floor(4000 · 3000 / 4000) = 3000 → creator; 1000 → treasury unallocated
    expect(result.stages.consensus).toEqual([{ submission: "s", task: "t", consensus: null }]);
    expect(result.refunds).toEqual([{ task: "t", creator: CREATOR, pool: 3000n * F, refund: 3000n * F }]);
    expect(result.treasury).toMatchObject({ unallocated: 1000n * F, dust: 0n, total: 1000n * F });
    expect(totalOf(result, address(0xa1))).toBe(0n);
    expect(paidTotal(result)).toBe(4000n * F);
  });

  it("a submission scored only by stake-less validators has no consensus and blocks nothing", () => {
    const stakeless = computeEpoch({
      ...inputs,
      validators: [
        {
          account: address(0xb1),
          task: "t",
          stake: 0n,
          completedAssignments: 1n,
          scores: [{ submission: "s", score: F }],
        },
      ],
    });
    expect(stakeless.stages.consensus[0]!.consensus).toBeNull();
    expect(stakeless.refunds[0]!.refund).toBe(3000n * F);
  });
});

describe("audit inputs: carried into the report verbatim, changing no amount", () => {
  const reveal: ScoreRevealInput = {
    address: "0x1111111111111111111111111111111111111111",
    timestamp: "1767225600",
    nonce: "42",
    signature: `0x${"5a".repeat(65)}`,
    method: "POST",
    path: "/assignments/7/reveal",
    body: '{"score":"1200000000000000000","salt":"0x01"}',
  };
  const audited = (): EpochInputs => {
    const inputs = workedEpochInputs();
    return {
      ...inputs,
      tasks: inputs.tasks.map((t) =>
        t.id === "chat-bpc"
          ? {
              ...t,
              stakeSnapshotBlock: "118",
              drawSeed: { blockNumber: "119", blockHash: `0x${"AB".repeat(32)}` },
            }
          : t,
      ),
      validators: inputs.validators.map((v, i) =>
        i === 0 ? { ...v, scores: v.scores.map((s, j) => (j === 0 ? { ...s, reveal } : s)) } : v,
      ),
    };
  };
  const plain = computeEpoch(workedEpochInputs());
  const withAudit = computeEpoch(audited());

  it("lists them in the report inputs (block hash lowercased, reveal verbatim) and the hash covers them", () => {
    const inputs = withAudit.report.inputs as {
      tasks: Record<string, unknown>[];
      validators: { scores: Record<string, unknown>[] }[];
    };
    expect(inputs.tasks.find((t) => t.id === "chat-bpc")).toMatchObject({
      stakeSnapshotBlock: "118",
      drawSeed: { blockNumber: "119", blockHash: `0x${"ab".repeat(32)}` },
    });
    expect(inputs.validators[0]!.scores[0]!.reveal).toEqual(reveal);
    expect(withAudit.reportHash).not.toBe(plain.reportHash);
    expect(epochReportHash(JSON.parse(withAudit.reportJson))).toBe(withAudit.reportHash);
  });

  it("pays exactly what the epoch without them pays", () => {
    expect(withAudit.rewards).toEqual(plain.rewards);
    expect(withAudit.refunds).toEqual(plain.refunds);
    expect(withAudit.trees.liquid.root).toBe(plain.trees.liquid.root);
    expect(withAudit.trees.vesting.root).toBe(plain.trees.vesting.root);
  });

  const expectRefused = (patch: (inputs: EpochInputs) => EpochInputs, code: string) => {
    try {
      computeEpoch(patch(audited()));
      expect.unreachable(`expected ${code}`);
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as FlockError).code).toBe(code);
      expect((error as FlockError).hint).toBeTruthy();
    }
  };
  const onTask = (patch: Partial<EpochTaskInput>) => (inputs: EpochInputs) => ({
    ...inputs,
    tasks: inputs.tasks.map((t) => (t.id === "chat-bpc" ? { ...t, ...patch } : t)),
  });
  const onReveal = (patch: Partial<ScoreRevealInput>) => (inputs: EpochInputs) => ({
    ...inputs,
    validators: inputs.validators.map((v, i) =>
      i === 0
        ? { ...v, scores: v.scores.map((s, j) => (j === 0 ? { ...s, reveal: { ...reveal, ...patch } } : s)) }
        : v,
    ),
  });

  it("refuses malformed block numbers, block hashes, mint indexes and reveals", () => {
    expectRefused(onTask({ stakeSnapshotBlock: "0118" }), "DECIMAL_STRING_INVALID");
    expectRefused(onTask({ stakeSnapshotBlock: "-1" }), "DECIMAL_STRING_INVALID");
    expectRefused(onTask({ drawSeed: { blockNumber: "119", blockHash: "0x1234" } }), "BLOCK_HASH_INVALID");
    expectRefused(
      onTask({ drawSeed: { blockNumber: "1e3", blockHash: `0x${"ab".repeat(32)}` } }),
      "DECIMAL_STRING_INVALID",
    );
    expectRefused((inputs) => ({ ...inputs, mintIndex: "six" }), "DECIMAL_STRING_INVALID");
    expectRefused(onReveal({ body: 7 as unknown as string }), "REVEAL_INVALID");
    // a reveal signed by someone else cannot vouch for this validator's score
    expectRefused(
      onReveal({ address: "0x2222222222222222222222222222222222222222" }),
      "REVEAL_SIGNER_MISMATCH",
    );
  });
});

// ---------- hostile epochs: whatever is thrown at computeEpoch, it refuses or pays exactly what it holds ----------

const MAX_SCORE = 2n ** 255n - 1n;
const stakeArb = fc.oneof(fc.constant(0n), fc.constant(1n), fc.bigInt({ min: 0n, max: 10n ** 25n }));
const scoreArb = fc.oneof(
  fc.bigInt({ min: 0n, max: 3n }).map((x) => x * 10n ** 17n),
  fc.constantFrom(MAX_SCORE, -MAX_SCORE, 0n, 1n),
  fc.bigInt({ min: -MAX_SCORE, max: MAX_SCORE }),
);
const arbHostile = fc.record({
  emission: fc.bigInt({ min: 0n, max: 10n ** 27n }),
  flStake: fc.option(stakeArb),
  tasks: fc.array(
    fc.record({
      // ids that look alike; equal ones must be refused, not merged
      id: fc.constantFrom("t", "T", "t ", "t-1", "t\u0000", "τ"),
      weight: fc.oneof(
        { arbitrary: fc.bigInt({ min: 0n, max: 3n }), weight: 6 },
        { arbitrary: fc.bigInt({ min: 0n, max: MAX_TASK_WEIGHT }), weight: 3 },
        { arbitrary: fc.bigInt({ min: MAX_TASK_WEIGHT + 1n, max: 2n ** 70n }), weight: 1 },
      ),
      pool: fc.option(fc.oneof(fc.constant(1n), fc.bigInt({ min: 0n, max: 10n ** 27n }))),
      creatorGiven: fc.constantFrom(true, true, true, false),
      gammaBps: fc.bigInt({ min: 0n, max: 5000n }),
      higher: fc.boolean(),
      submissions: fc.array(fc.record({ stake: stakeArb, refereed: fc.option(scoreArb, { freq: 4 }) }), {
        maxLength: 3,
      }),
      validators: fc.array(
        fc.record({
          stake: stakeArb,
          completed: fc.integer({ min: 0, max: 3 }),
          scores: fc.array(fc.option(scoreArb), { minLength: 3, maxLength: 3 }),
        }),
        { maxLength: 3 },
      ),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  slashes: fc.array(fc.record({ stake: stakeArb, bps: fc.bigInt({ min: 0n, max: 10_000n }) }), {
    maxLength: 2,
  }),
});

type HostileRaw = typeof arbHostile extends fc.Arbitrary<infer T> ? T : never;

function hostileInputs(raw: HostileRaw): EpochInputs {
  let next = 1;
  const fresh = () => address(next++);
  const tasks: EpochTaskInput[] = [];
  const submissions: EpochSubmissionInput[] = [];
  const validators: EpochValidatorInput[] = [];
  raw.tasks.forEach((t, ti) => {
    tasks.push({
      id: t.id,
      weight: t.weight,
      gammaBps: t.gammaBps,
      direction: t.higher ? "higher-is-better" : "lower-is-better",
      ...(t.pool === null ? {} : { pool: t.pool }),
      ...(t.creatorGiven ? { creator: fresh() } : {}),
    });
    t.submissions.forEach((s, si) => {
      submissions.push({
        id: `${t.id}#${ti}/${si}`,
        task: t.id,
        account: fresh(),
        stake: s.stake,
        ...(s.refereed === null ? {} : { refereedScore: s.refereed }),
      });
    });
    t.validators.forEach((v) => {
      validators.push({
        account: fresh(),
        task: t.id,
        stake: v.stake,
        completedAssignments: v.completed,
        scores: v.scores
          .map((score, si) => ({ score, si }))
          .filter(({ score, si }) => score !== null && si < t.submissions.length)
          .map(({ score, si }) => ({ submission: `${t.id}#${ti}/${si}`, score: score! })),
      });
    });
  });
  return {
    epoch: 1n,
    emission: raw.emission,
    ...(raw.flStake === null ? {} : { flStake: raw.flStake }),
    treasury: TREASURY,
    tasks,
    submissions,
    validators,
    slashes: raw.slashes.map((s) => ({
      account: fresh(),
      stake: s.stake,
      fractionBps: s.bps,
      prover: null,
      reason: "x",
    })),
  };
}

/** The refusals a hostile epoch may legitimately meet: each names what is wrong with the input. */
const REFUSALS = new Set(["DUPLICATE_ENTRY", "TASK_WEIGHT_TOO_LARGE", "POOL_CREATOR_MISSING"]);

describe("hostile epochs (property)", () => {
  it("either refuses with a clear code or pays exactly E + Σ pools + Σ slashed, and no task more than it holds", () => {
    fc.assert(
      fc.property(arbHostile, (raw) => {
        const inputs = hostileInputs(raw);
        let result: ReturnType<typeof computeEpoch>;
        try {
          result = computeEpoch(inputs);
        } catch (error) {
          expect(error instanceof ValidationError || error instanceof ProtocolError).toBe(true);
          expect(REFUSALS.has((error as FlockError).code)).toBe(true);
          expect((error as FlockError).hint).toBeTruthy();
          return;
        }
        const pools = inputs.tasks.reduce((sum, t) => sum + BigInt(t.pool ?? 0n), 0n);
        const slashed = result.slashes.reduce((sum, s) => sum + s.slashed, 0n);
        const holds = BigInt(inputs.emission) + pools + slashed;
        expect(paidTotal(result)).toBe(holds);
        const leaves = [...result.trees.liquid.leaves, ...result.trees.vesting.leaves];
        expect(leaves.reduce((sum, l) => sum + l.amount, 0n)).toBe(holds);
        for (const r of result.rewards) expect(r.liquid + r.vesting).toBeLessThanOrEqual(holds);
        // E_FL + E_arena = E, and the tasks' emission shares never exceed E_arena
        const { fl, arena } = result.stages.emissionSplit;
        expect(fl + arena).toBe(BigInt(inputs.emission));
        const shares = result.stages.splits.reduce((sum, s) => sum + s.emission, 0n);
        expect(shares).toBeLessThanOrEqual(arena);
        // each task pays its trainers, validators and creator at most its emission share + its pool
        for (const split of result.stages.splits) {
          expect(split.r0).toBe(split.emission + split.pool);
          const trainers = result.stages.trainerShares
            .filter((t) => t.task === split.task)
            .reduce((s, t) => s + t.pw, 0n);
          const validators = result.stages.validatorShares
            .filter((v) => v.task === split.task)
            .reduce((s, v) => s + v.amount, 0n);
          const refund = result.refunds.find((r) => r.task === split.task)?.refund ?? 0n;
          expect(trainers).toBeLessThanOrEqual(split.trainers);
          expect(validators).toBeLessThanOrEqual(split.validators);
          expect(trainers + validators + refund).toBeLessThanOrEqual(split.r0);
          expect(refund).toBeLessThanOrEqual(split.pool);
        }
      }),
      { numRuns: 300, interruptAfterTimeLimit: 20_000, markInterruptAsFailure: true },
    );
  });
});
