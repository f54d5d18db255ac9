import { describe, expect, it } from "vitest";
import { ByteTokenizer } from "../tokenizer/byteTokenizer.ts";
import {
  BatchStream,
  bucketFor,
  makeBatches,
  makeBucketedBatches,
  packRows,
  rowsToBatch,
  textToExamples,
} from "./batching.ts";
import type { TokenizedExample } from "./chatTemplate.ts";
import { renderChat } from "./chatTemplate.ts";

const tok = new ByteTokenizer();
const PAD = tok.specials.pad;

/** An example of `n` tokens with ids base, base+1, …; every token after the first is scored. */
function example(n: number, base = 0): TokenizedExample {
  const ids = Int32Array.from({ length: n }, (_, i) => base + i);
  const scored = Uint8Array.from({ length: n }, (_, i) => (i === 0 ? 0 : 1));
  return { ids, scored, targetBytes: new Int32Array(n).fill(1) };
}

describe("batching", () => {
  it("shifts by one: input t predicts token t+1, with padding weighted 0 and masked", () => {
    const chat = renderChat(
      {
        conversations: [
          { role: "user", content: "a" },
          { role: "assistant", content: "bc" },
        ],
      },
      tok,
    );
    const seqLen = chat.ids.length + 3;
    const batch = rowsToBatch(packRows([chat], { seqLen, pack: false }), seqLen, PAD);
    const n = chat.ids.length;
    expect(batch.batchSize).toBe(1);
    expect(Array.from(batch.inputIds.subarray(0, n))).toEqual(Array.from(chat.ids));
    expect(Array.from(batch.targets.subarray(0, n - 1))).toEqual(Array.from(chat.ids.subarray(1)));
    expect(Array.from(batch.weights.subarray(0, n - 1))).toEqual(Array.from(chat.scored.subarray(1)));
    expect(Array.from(batch.inputIds.subarray(n))).toEqual([PAD, PAD, PAD]);
    expect(Array.from(batch.attentionMask)).toEqual([...new Array(n).fill(1), 0, 0, 0]);
    expect(Array.from(batch.weights.subarray(n - 1))).toEqual([0, 0, 0, 0]);
    // Scored targets: "b", "c" and the end-of-turn; bytes 1, 1, 0.
    const scoredTargets = Array.from(batch.targets).filter((_, i) => batch.weights[i] === 1);
    expect(scoredTargets).toEqual([...tok.encode("bc"), tok.specials.endOfTurn]);
    expect(Array.from(batch.targetBytes).reduce((a, b) => a + b, 0)).toBe(2);
  });

  it("fills a row of exactly seqLen + 1 tokens with no padding", () => {
    const batch = rowsToBatch(packRows([example(9)], { seqLen: 8 }), 8, PAD);
    expect(Array.from(batch.inputIds)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(Array.from(batch.targets)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Array.from(batch.attentionMask)).toEqual(new Array(8).fill(1));
    expect(Array.from(batch.weights)).toEqual(new Array(8).fill(1));
  });

  it("truncates an example longer than seqLen + 1", () => {
    const rows = packRows([example(50)], { seqLen: 8 });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.ids).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("packs short examples into few rows without losing or duplicating a token", () => {
    const examples = [7, 3, 5, 2, 9, 4, 1, 6].map((n, i) => example(n, i * 100));
    const rows = packRows(examples, { seqLen: 8 });
    const all = rows.flatMap((r) => r.ids).sort((a, b) => a - b);
    expect(all).toEqual(examples.flatMap((e) => Array.from(e.ids)).sort((a, b) => a - b));
    expect(rows.every((r) => r.ids.length <= 9)).toBe(true);
    // 37 tokens into rows of 9: best fit needs 5 rows at most (the lower bound is 5).
    expect(rows.length).toBe(5);
    // Each example stays contiguous inside its row.
    for (const e of examples) {
      const row = rows.find((r) => r.ids.includes(e.ids[0]!))!;
      const at = row.ids.indexOf(e.ids[0]!);
      expect(row.ids.slice(at, at + e.ids.length)).toEqual(Array.from(e.ids));
    }
    expect(packRows(examples, { seqLen: 8, pack: false })).toHaveLength(8);
  });

  it("never scores the target that crosses from one packed example into the next", () => {
    const a = example(4, 0);
    const b = example(4, 100);
    const batch = makeBatches([a, b], { seqLen: 8, batchSize: 1, padId: PAD })[0]!;
    // Row is a(0..3) then b(100..103); the target after token 3 is 100 (b's first token, unscored).
    const cross = Array.from(batch.targets).indexOf(100);
    expect(cross).toBeGreaterThanOrEqual(0);
    expect(batch.weights[cross]).toBe(0);
    expect(Array.from(batch.weights).reduce((s, w) => s + w, 0)).toBe(6);
  });

  it("batches rows, keeping a smaller last batch unless asked to drop it", () => {
    const examples = Array.from({ length: 10 }, (_, i) => example(9, i * 10));
    const batches = makeBatches(examples, { seqLen: 8, batchSize: 4, padId: PAD });
    expect(batches.map((b) => b.batchSize)).toEqual([4, 4, 2]);
    expect(batches[2]!.inputIds).toHaveLength(16);
    expect(makeBatches(examples, { seqLen: 8, batchSize: 4, padId: PAD, dropLast: true })).toHaveLength(2);
  });

  it("buckets examples by length so each gets the smallest sequence length that fits", () => {
    expect(bucketFor(10, [16, 32, 64])).toBe(16);
    expect(bucketFor(17, [64, 16, 32])).toBe(16);
    expect(bucketFor(18, [16, 32, 64])).toBe(32);
    expect(bucketFor(500, [16, 32, 64])).toBe(64);
    const examples = [example(5), example(30), example(6), example(60)];
    const batches = makeBucketedBatches(examples, {
      buckets: [8, 64],
      batchSize: 8,
      padId: PAD,
      pack: false,
    });
    expect(batches.map((b) => [b.seqLen, b.batchSize])).toEqual([
      [8, 2],
      [64, 2],
    ]);
  });

  it("cuts a long text into overlapping windows so every token after bos is a scored target once", () => {
    const text = "The cat sat on the mat. ".repeat(5);
    const seqLen = 16;
    const examples = textToExamples(text, tok, seqLen);
    const batches = makeBatches(examples, { seqLen, batchSize: 64, padId: PAD, pack: false });
    const scoredTargets: number[] = [];
    for (const b of batches) {
      b.targets.forEach((t, i) => {
        if (b.weights[i] === 1) scoredTargets.push(t);
      });
    }
    expect(scoredTargets).toEqual(tok.encode(text));
    expect(batches.reduce((s, b) => s + b.targetBytes.reduce((x, y) => x + y, 0), 0)).toBe(text.length);
  });
});

describe("BatchStream", () => {
  const items = Array.from({ length: 7 }, (_, i) => i);

  it("visits every item once per epoch in a seeded order that differs between epochs", () => {
    const stream = new BatchStream(items, { seed: 42 });
    const epoch0 = Array.from({ length: 7 }, () => stream.next());
    const epoch1 = Array.from({ length: 7 }, () => stream.next());
    expect([...epoch0].sort()).toEqual(items);
    expect([...epoch1].sort()).toEqual(items);
    expect(epoch0).not.toEqual(epoch1);
    const again = new BatchStream(items, { seed: 42 });
    expect(Array.from({ length: 14 }, () => again.next())).toEqual([...epoch0, ...epoch1]);
    const other = new BatchStream(items, { seed: 43 });
    expect(Array.from({ length: 7 }, () => other.next())).not.toEqual(epoch0);
  });

  it("resumes from a recorded position with exactly the items an uninterrupted run sees", () => {
    const full = new BatchStream(items, { seed: 9 });
    const uninterrupted = Array.from({ length: 20 }, () => full.next());
    const first = new BatchStream(items, { seed: 9 });
    const head = Array.from({ length: 11 }, () => first.next());
    const saved = JSON.parse(JSON.stringify(first.position));
    expect(saved).toEqual({ epoch: 1, index: 4 });
    const resumed = new BatchStream(items, { seed: 9, position: saved });
    const tail = Array.from({ length: 9 }, () => resumed.next());
    expect([...head, ...tail]).toEqual(uninterrupted);
  });

  it("keeps the given order without shuffling and rejects impossible positions", () => {
    const stream = new BatchStream(items, { seed: 1, shuffle: false });
    expect(Array.from({ length: 8 }, () => stream.next())).toEqual([0, 1, 2, 3, 4, 5, 6, 0]);
    expect(() => new BatchStream(items, { seed: 1, position: { epoch: 0, index: 8 } })).toThrow(
      /data position/,
    );
    expect(() => new BatchStream([], { seed: 1 })).toThrow(/empty/);
  });
});
