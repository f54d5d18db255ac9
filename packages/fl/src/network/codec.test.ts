import { describe, expect, it } from "vitest";
import { decodeArrays, decodeBody, encodeArrays, encodeBody } from "./codec.ts";
import { flVoteCommitment, flVoteOf } from "./voteCommitment.ts";

describe("FL wire codec", () => {
  it("round-trips arrays in their own order (not safetensors' sorted order) with metadata", () => {
    const arrays = new Map([
      ["z.weight", { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }],
      ["a.bias", { shape: [2], data: new Float32Array([-1, 0.5]) }],
    ]);
    const { arrays: back, metadata } = decodeArrays(encodeArrays(arrays, { model: "{}" }));
    expect([...back.keys()]).toEqual(["z.weight", "a.bias"]);
    expect([...back.get("z.weight")!.data]).toEqual([1, 2, 3, 4]);
    expect(back.get("a.bias")!.shape).toEqual([2]);
    expect(metadata).toEqual({ model: "{}" });
  });

  it("round-trips exchange bodies through JSON text: bytes, typed vectors, bigints, nesting", () => {
    const body = {
      stage: "masked-input",
      pk: new Uint8Array([0, 255, 7]),
      masked: new Uint32Array([1, 2 ** 32 - 1]),
      mean: new Float64Array([0.25, -1e300]),
      f: new Float32Array([1.5]),
      shares: [new Uint8Array([1]), new Uint8Array([])],
      n: 12n ** 30n,
      nested: { ok: true, ids: ["a", "b"], none: null },
    };
    const back = decodeBody(JSON.parse(JSON.stringify(encodeBody(body))));
    expect(back).toEqual(body);
    expect(back.masked).toBeInstanceOf(Uint32Array);
  });

  it("refuses what JSON cannot carry and malformed tags", () => {
    expect(() => encodeBody({ x: Number.NaN })).toThrow(/JSON cannot carry/);
    expect(() => encodeBody({ x: new Int16Array(2) })).toThrow(/Int16Array/);
    expect(() => decodeBody({ x: { $u32: "AAA=" } })).toThrow(/not whole elements/);
    expect(() => decodeBody({ x: { $bigint: "1e9" } })).toThrow(/not a decimal bigint/);
    expect(() => decodeBody([1])).toThrow(/not a JSON object/);
  });
});

describe("FL votes", () => {
  const salt = `0x${"ab".repeat(32)}`;
  it("commits to task, round, voter and vote: changing any changes the commitment", () => {
    const base = { taskId: 1, round: 2, voter: "0x" + "1".repeat(40), vote: 1, salt };
    const c = flVoteCommitment(base);
    expect(c).toMatch(/^0x[0-9a-f]{64}$/);
    expect(flVoteCommitment({ ...base, voter: base.voter.toUpperCase().replace("0X", "0x") })).toBe(c);
    for (const change of [{ taskId: 2 }, { round: 3 }, { vote: -1 }, { salt: `0x${"cd".repeat(32)}` }]) {
      expect(flVoteCommitment({ ...base, ...change })).not.toBe(c);
    }
    expect(() => flVoteCommitment({ ...base, vote: 2 })).toThrow(/\+1 or −1/);
    expect(() => flVoteCommitment({ ...base, salt: "0x12" })).toThrow(/salt/);
  });
  it("votes for a candidate at least as good as the global model", () => {
    expect(flVoteOf(0.5, 0.6)).toBe(1);
    expect(flVoteOf(0.6, 0.6)).toBe(1);
    expect(flVoteOf(0.7, 0.6)).toBe(-1);
    expect(flVoteOf(Number.NaN, 0.6)).toBe(-1);
  });
});
