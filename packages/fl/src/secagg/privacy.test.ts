import { describe, expect, it } from "vitest";
import { flatten } from "../arrays.ts";
import { InMemoryGrid, type NodeApp } from "../inMemoryGrid.ts";
import type { ExchangeBody, Message, NodeId } from "../messages.ts";
import { FedAvg } from "../strategies/fedAvg.ts";
import { bytesEqual, expandMask, hkdf } from "./crypto.ts";
import { secAggPlusNode } from "./node.ts";
import { seedCommitment, selfMaskInfo } from "./protocol.ts";
import { DEFAULT_QUANTIZATION, decodeSum, subtractInto } from "./quantize.ts";
import { SecAggPlus } from "./secAggPlus.ts";
import { bytesToField, combineShares, fieldToBytes, type Share } from "./shamir.ts";
import { RecordingGrid } from "./simulation.ts";
import { byteChiSquare, modelOf } from "./testKit.ts";

/**
 * χ²(255) at p = 1 − 10⁻⁶ (Wilson–Hilferty): a uniform byte stream exceeds it once in a million tests, so the
 * keys' fresh randomness never makes this file flaky; an unmasked encoding scores in the millions.
 */
const CHI2_LIMIT = 377;
const SIZE = 2000;
const N = 10;

/** Every node sends the same update: base + 0.25, with 50 examples — the worst case for hiding. */
const sameUpdate: NodeApp = {
  async train(message: Message) {
    const arrays = new Map(
      [...message.arrays!].map(([k, p]) => [k, { shape: [...p.shape], data: p.data.map((v) => v + 0.25) }]),
    );
    return { arrays, numExamples: 50, metrics: { loss: 1 } };
  },
  async evaluate() {
    return { numExamples: 1, metrics: {} };
  },
};

async function recordedRound() {
  const base = modelOf(SIZE);
  const grid = new RecordingGrid(new InMemoryGrid({ nodes: N, app: secAggPlusNode(sameUpdate) }));
  const strategy = new SecAggPlus(new FedAvg({ minTrainNodes: N }), { revealMetrics: false });
  const out = await strategy.trainRound(1, base, {}, grid);
  const bodies = (stage: string) =>
    grid.received
      .filter((r) => "body" in r && grid.sent.some((m) => m.nodeId === r.nodeId && m.body?.stage === stage))
      .map((r) => ({ nodeId: r.nodeId, body: (r as { body: ExchangeBody }).body }))
      .filter(({ body }) => stageOfReply(body) === stage);
  return { base, grid, out, bodies };
}

function stageOfReply(body: ExchangeBody): string {
  if ("pk1" in body) return "setup";
  if ("seedCommitment" in body) return "share-keys";
  if ("masked" in body) return "masked-input";
  return "unmask";
}

describe("what the server sees in SecAgg+", () => {
  it("no reply carries an update, and every masked vector is indistinguishable from uniform bytes", async () => {
    const { grid, out, bodies } = await recordedRound();
    expect(flatten(out.arrays!)[0]).toBeCloseTo(0.1 + 0.25, 3);
    for (const reply of grid.received) {
      expect(reply.kind).toBe("exchange");
      expect(reply).not.toHaveProperty("update");
      for (const value of Object.values((reply as { body: ExchangeBody }).body)) {
        expect(value).not.toBeInstanceOf(Float32Array);
      }
    }
    const masked = bodies("masked-input");
    expect(masked).toHaveLength(N);
    for (const { body } of masked) {
      const words = body.masked as Uint32Array;
      expect(byteChiSquare(new Uint8Array(words.buffer, words.byteOffset, words.byteLength))).toBeLessThan(
        CHI2_LIMIT,
      );
      expect(body).not.toHaveProperty("numExamples");
      expect(body).not.toHaveProperty("metrics");
    }
    // All ten together (80 kB) are uniform too: the identical updates leave no common pattern.
    const all = new Uint8Array(
      masked.flatMap(({ body }) => [...new Uint8Array((body.masked as Uint32Array).buffer)]),
    );
    expect(byteChiSquare(all)).toBeLessThan(CHI2_LIMIT);
    // The same encodings without masks are anything but uniform (the test has power).
    const first = masked[0]!.body.masked as Uint32Array;
    const plain = new Uint32Array(first.length).fill(Math.round((0.25 * 0.05 + 8) * (2 ** 22 / 16)));
    expect(byteChiSquare(new Uint8Array(plain.buffer))).toBeGreaterThan(100 * CHI2_LIMIT);
  });

  it("removing what the view allows leaves noise: the sum without the shares, or one node's vector without its pairwise keys", async () => {
    const { grid, bodies } = await recordedRound();
    const q = DEFAULT_QUANTIZATION;
    const masked = new Map(
      bodies("masked-input").map(({ nodeId, body }) => [nodeId, body.masked as Uint32Array]),
    );
    const width = SIZE + 2;

    // 1. The sum of the masked vectors alone decodes to noise, not to 0.25.
    const sum = new Uint32Array(width);
    for (const v of masked.values()) for (let i = 0; i < width; i++) sum[i] = sum[i]! + v[i]!;
    const decoded = decodeSum(sum.subarray(1), N, q);
    const noisy = decoded.weightedSum.map((v) => v / decoded.totalRatio);
    expect(noisy.filter((v) => Math.abs(v - 0.25) < 0.01).length).toBeLessThan(SIZE / 100);

    // 2. The view does hold t shares of each survivor's self-mask seed (that is how the sum is unmasked);
    //    with them the server strips node 0's self mask, and node 0's vector is still uniform: its pairwise
    //    masks, whose keys no one revealed, hide it.
    const hood = grid.sent.find((m) => m.nodeId === "0" && m.body?.stage === "setup")!.body!
      .neighbourhood as NodeId[];
    const threshold = grid.sent.find((m) => m.body?.stage === "setup")!.body!.threshold as number;
    const shares: Share[] = [];
    for (const { nodeId, body } of bodies("unmask")) {
      const asked = grid.sent.find((m) => m.nodeId === nodeId && m.body?.stage === "unmask")!.body!;
      const at = (asked.survivors as NodeId[]).indexOf("0");
      if (at >= 0)
        shares.push({ x: 1 + hood.indexOf(nodeId), y: bytesToField((body.seedShares as Uint8Array[])[at]!) });
    }
    const commitment = bodies("share-keys").find((b) => b.nodeId === "0")!.body.seedCommitment as Uint8Array;
    const seed = fieldToBytes(combineShares(shares.slice(0, threshold)));
    expect(bytesEqual(seedCommitment(1, "0", seed), commitment)).toBe(true);
    // With one share fewer than the threshold the seed does not come out.
    const short = fieldToBytes(combineShares(shares.slice(0, threshold - 1)));
    expect(bytesEqual(seedCommitment(1, "0", short), commitment)).toBe(false);

    const stripped = masked.get("0")!.slice();
    subtractInto(
      stripped,
      expandMask(hkdf(seed, selfMaskInfo(1, "0")), width, q.modulusRange),
      q.modulusRange,
    );
    expect(byteChiSquare(new Uint8Array(stripped.buffer))).toBeLessThan(CHI2_LIMIT);
    const guess = decodeSum(stripped.subarray(1), 1, q);
    expect(guess.weightedSum.filter((v) => Math.abs(v - 0.25 * 0.05) < 0.01).length).toBeLessThan(SIZE / 100);
  });
});
