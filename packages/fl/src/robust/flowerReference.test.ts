import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { flatten, layoutOf, unflatten } from "../arrays.ts";
import type { Reply } from "../messages.ts";
import { Bulyan } from "../strategies/bulyan.ts";
import { FedMedian } from "../strategies/fedMedian.ts";
import { FedTrimmedAvg } from "../strategies/fedTrimmedAvg.ts";
import { MultiKrum } from "../strategies/multiKrum.ts";
import type { SampledStrategy } from "../strategies/sampledStrategy.ts";
import { pairwiseSquaredDistances } from "./distances.ts";
import { krumScores } from "./krumSelection.ts";
import { idleGrid } from "./testReplies.ts";

/**
 * Flower's own functions, run by flowerReference.py on 24 seeded rounds (n = 5…16 updates, f = 0…2, a
 * quarter of them small integers so that Krum scores and Bulyan gaps tie), against ours on the same inputs.
 * Flower computes in float32 (Krum distances by ‖x‖² + ‖y‖² − 2x·y), ours in float64, so values agree to a
 * few float32 ulps and the chosen updates agree exactly. The documented differences are ties: when two
 * different updates have equal Krum scores at the cut (the m-th and (m+1)-th) or Bulyan's β-th and (β+1)-th
 * gaps to the median are equal, Flower takes whichever `np.argsort` / `np.argpartition` put first, an order
 * numpy does not specify (its AVX-512 sort is not stable), and ours the earlier reply (the update selected
 * first). There the test checks that such a tie is what separates the two answers; the last five rounds
 * are built to tie.
 */
interface Fixture {
  readonly numpy: string;
  readonly layout: number[][];
  readonly cases: {
    readonly n: number;
    readonly f: number;
    readonly ties: boolean;
    readonly examples: number[];
    readonly updates: number[][];
    readonly expected: Record<string, number[]>;
  }[];
}

const fixture = JSON.parse(
  readFileSync(new URL("./flowerReference.json", import.meta.url), "utf8"),
) as Fixture;
const zeros = new Map(
  fixture.layout.map((shape, i) => [
    `a${i}`,
    { shape, data: new Float32Array(shape.reduce((x, y) => x * y, 1)) },
  ]),
);
const layout = layoutOf(zeros);

function strategyFor(key: string): SampledStrategy {
  const [name, a, b] = key.split(":");
  if (name === "fedmedian") return new FedMedian();
  if (name === "fedtrimmedavg") return new FedTrimmedAvg({ beta: Number(a) });
  if (name === "multikrum")
    return new MultiKrum({ numMaliciousNodes: Number(a), numNodesToSelect: Number(b) });
  if (name === "bulyan") return new Bulyan({ numMaliciousNodes: Number(a) });
  if (name === "bulyan-recursive")
    return new Bulyan({ numMaliciousNodes: Number(a), selection: "recursive-krum" });
  throw new Error(`no strategy for ${key}`);
}

async function run(
  key: string,
  c: Fixture["cases"][number],
): Promise<{ values: Float32Array; selected: string[] }> {
  const strategy = strategyFor(key);
  await strategy.configureTrain(1, zeros, {}, idleGrid(c.n));
  const replies: Reply[] = c.updates.map((u, i) => ({
    nodeId: String(i),
    kind: "train",
    round: 1,
    update: { arrays: unflatten(layout, u), numExamples: c.examples[i]!, metrics: {} },
  }));
  const result = strategy.aggregateTrain(1, replies);
  const selected = strategy instanceof Bulyan ? strategy.selected : [];
  return { values: flatten(result.arrays!), selected };
}

/** Whether updates of equal Krum score (in float64) straddle the cut after the m-th. */
function krumTieAtCut(c: Fixture["cases"][number], m: number): boolean {
  const d = pairwiseSquaredDistances(c.updates);
  const all = c.updates.map((_, i) => i);
  const scores = Array.from(krumScores(d, c.n, all, c.f)).sort((a, b) => a - b);
  return m < scores.length && scores[m - 1] === scores[m];
}

/** Whether Bulyan's β nearest values to the median of coordinate k are ambiguous (a tie across β). */
function gapTieAtBoundary(c: Fixture["cases"][number], selected: string[], k: number): boolean {
  const column = selected.map((id) => c.updates[Number(id)]![k]!);
  const sorted = [...column].sort((a, b) => a - b);
  const h = sorted.length >> 1;
  const median = Math.fround(sorted.length % 2 ? sorted[h]! : (sorted[h - 1]! + sorted[h]!) / 2);
  const gaps = column.map((v) => Math.fround(Math.abs(v - median))).sort((a, b) => a - b);
  const beta = c.n - 4 * c.f;
  return beta < gaps.length && gaps[beta - 1] === gaps[beta];
}

const excused: string[] = [];

describe(`the robust strategies against Flower's own code (numpy ${fixture.numpy})`, () => {
  const rows = fixture.cases.flatMap((c, i) => Object.keys(c.expected).map((key) => [i, key] as const));

  it.each(rows)("round %i: %s", async (i, key) => {
    const c = fixture.cases[i]!;
    const { values: ours, selected } = await run(key, c);
    const theirs = c.expected[key]!.map(Math.fround);
    expect(ours.length).toBe(theirs.length);
    const m = key.startsWith("multikrum") ? Number(key.split(":")[2]) : 0;
    // Krum (m = 1) returns one update as it is, so bit for bit; the others within a few float32 ulps
    const agrees = (k: number) =>
      m === 1
        ? ours[k] === theirs[k]
        : Math.abs(ours[k]! - theirs[k]!) <= 4e-7 * Math.max(1, Math.abs(theirs[k]!));
    for (let k = 0; k < theirs.length; k++) {
      if (agrees(k)) continue;
      if (c.ties && m > 0 && krumTieAtCut(c, m)) {
        excused.push(`round ${i}: ${key} (Krum scores tie at the cut)`);
        return;
      }
      if (c.ties && key.startsWith("bulyan") && gapTieAtBoundary(c, selected, k)) {
        excused.push(`round ${i}: ${key} coordinate ${k} (gaps tie at β)`);
        continue;
      }
      expect.fail(`coordinate ${k}: ours ${ours[k]}, Flower ${theirs[k]}`);
    }
  });

  it("leaves only tie cases to numpy's unspecified order (few of them)", () => {
    // at the time of writing: Multi-Krum once (round 28), Bulyan on one coordinate of rounds 19 and 23
    expect(excused.length, excused.join("; ")).toBeLessThanOrEqual(6);
  });
});
