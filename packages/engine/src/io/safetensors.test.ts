import { ValidationError } from "@flock/core";
import { describe, expect, it } from "vitest";
import {
  bf16BitsToNumber,
  f16BitsToNumber,
  numberToBf16Bits,
  numberToF16Bits,
  tensorToFloat32,
} from "./floatConversion.ts";
import { readSafetensors, writeSafetensors } from "./safetensors.ts";
import type { TensorData } from "./tensor.ts";

/** Build a file from a raw header object and a data section, bypassing the writer's checks. */
function rawFile(header: unknown, data: Uint8Array, headerLength?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(json.byteLength), true);
  out.set(json, 8);
  out.set(data, 8 + json.byteLength);
  return out;
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).hint).toBeTruthy();
    return (error as ValidationError).code;
  }
  throw new Error("expected a ValidationError");
}

describe("safetensors", () => {
  const tensors: Record<string, TensorData> = {
    "model.embed_tokens.weight": {
      dtype: "F32",
      shape: [3, 2],
      data: new Float32Array([1, -2, 3.5, 4, 5, 6]),
    },
    "lm_head.weight": { dtype: "F64", shape: [2], data: new Float64Array([Math.PI, -1e-300]) },
    step: { dtype: "I64", shape: [], data: new BigInt64Array([123456789012345n]) },
    ids: { dtype: "I32", shape: [1, 3], data: new Int32Array([-1, 0, 2147483647]) },
    half: { dtype: "F16", shape: [2], data: new Uint16Array([numberToF16Bits(1.5), numberToF16Bits(-0.25)]) },
    brain: { dtype: "BF16", shape: [1], data: new Uint16Array([numberToBf16Bits(3)]) },
    mask: { dtype: "BOOL", shape: [3], data: new Uint8Array([1, 0, 1]) },
    small: { dtype: "I8", shape: [2], data: new Int8Array([-128, 127]) },
    shorts: { dtype: "I16", shape: [1], data: new Int16Array([-300]) },
    bytes: { dtype: "U8", shape: [0, 4], data: new Uint8Array(0) },
  };

  it("round-trips every dtype, shape and the metadata", () => {
    const bytes = writeSafetensors(tensors, { format: "pt", note: "flock" });
    const { tensors: back, metadata } = readSafetensors(bytes);
    expect(metadata).toEqual({ format: "pt", note: "flock" });
    expect(Object.keys(back).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      expect(back[name]!.dtype).toBe(t.dtype);
      expect(back[name]!.shape).toEqual(t.shape);
      expect(Array.from(back[name]!.data as ArrayLike<number>)).toEqual(
        Array.from(t.data as ArrayLike<number>),
      );
      expect(back[name]!.data.constructor).toBe(t.data.constructor);
    }
    expect(tensorToFloat32(back.half!)).toEqual(new Float32Array([1.5, -0.25]));
    expect(tensorToFloat32(back.brain!)).toEqual(new Float32Array([3]));
  });

  it("writes an 8-byte aligned, space-padded header with tensors sorted by name", () => {
    const bytes = writeSafetensors(tensors);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(text).toMatch(/ *$/);
    const header = JSON.parse(text) as Record<string, { data_offsets: [number, number] }>;
    const names = Object.keys(header);
    const byOffset = [...names].sort((a, b) => header[a]!.data_offsets[0] - header[b]!.data_offsets[0]);
    expect(byOffset.filter((x) => header[x]!.data_offsets[1] > header[x]!.data_offsets[0])).toEqual(
      [...names].sort().filter((x) => header[x]!.data_offsets[1] > header[x]!.data_offsets[0]),
    );
    // Little-endian: the first float of the first tensor by name ("brain", bf16 3.0 = 0x4040).
    expect(Array.from(bytes.subarray(8 + n, 8 + n + 2))).toEqual([0x40, 0x40]);
  });

  it("reads a file whose bytes sit at an unaligned offset of a larger buffer", () => {
    const bytes = writeSafetensors({ w: tensors["model.embed_tokens.weight"]! });
    const shifted = new Uint8Array(bytes.byteLength + 3);
    shifted.set(bytes, 3);
    const { tensors: back } = readSafetensors(shifted.subarray(3));
    expect(Array.from(back.w!.data as Float32Array)).toEqual([1, -2, 3.5, 4, 5, 6]);
  });

  const f32 = (n: number) => new Uint8Array(n * 4);

  it("rejects a file shorter than the length prefix", () => {
    expect(codeOf(() => readSafetensors(new Uint8Array(5)))).toBe("SAFETENSORS_TRUNCATED");
  });
  it("rejects a header length past the end of the file", () => {
    expect(codeOf(() => readSafetensors(rawFile({}, f32(0), 1000n)))).toBe("SAFETENSORS_HEADER_OUT_OF_RANGE");
  });
  it("rejects a header length above the limit before reading it", () => {
    expect(codeOf(() => readSafetensors(rawFile({}, f32(0), 2n ** 40n)))).toBe(
      "SAFETENSORS_HEADER_TOO_LARGE",
    );
    const small = writeSafetensors({ a: { dtype: "U8", shape: [1], data: new Uint8Array(1) } });
    expect(codeOf(() => readSafetensors(small, { maxHeaderBytes: 8 }))).toBe("SAFETENSORS_HEADER_TOO_LARGE");
  });
  it("rejects a header that is not JSON or not an object", () => {
    expect(codeOf(() => readSafetensors(rawFile("{not json", f32(0))))).toBe(
      "SAFETENSORS_HEADER_INVALID_JSON",
    );
    expect(codeOf(() => readSafetensors(rawFile("[1,2]", f32(0))))).toBe("SAFETENSORS_HEADER_INVALID_JSON");
  });
  it("rejects metadata that is not a map of strings", () => {
    expect(codeOf(() => readSafetensors(rawFile({ __metadata__: { a: 1 } }, f32(0))))).toBe(
      "SAFETENSORS_METADATA_INVALID",
    );
  });
  it("rejects an unknown dtype", () => {
    const h = { a: { dtype: "F8_E4M3", shape: [4], data_offsets: [0, 4] } };
    expect(codeOf(() => readSafetensors(rawFile(h, new Uint8Array(4))))).toBe("SAFETENSORS_UNKNOWN_DTYPE");
  });
  it("rejects negative and non-integer shapes", () => {
    const neg = { a: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } };
    const frac = { a: { dtype: "F32", shape: [1.5], data_offsets: [0, 4] } };
    expect(codeOf(() => readSafetensors(rawFile(neg, f32(1))))).toBe("SAFETENSORS_INVALID_SHAPE");
    expect(codeOf(() => readSafetensors(rawFile(frac, f32(1))))).toBe("SAFETENSORS_INVALID_SHAPE");
  });
  it("rejects malformed data_offsets", () => {
    const reversed = { a: { dtype: "F32", shape: [1], data_offsets: [4, 0] } };
    const missing = { a: { dtype: "F32", shape: [1] } };
    expect(codeOf(() => readSafetensors(rawFile(reversed, f32(1))))).toBe("SAFETENSORS_INVALID_OFFSETS");
    expect(codeOf(() => readSafetensors(rawFile(missing, f32(1))))).toBe("SAFETENSORS_INVALID_OFFSETS");
  });
  it("rejects offsets beyond the data section", () => {
    const h = { a: { dtype: "F32", shape: [2], data_offsets: [0, 8] } };
    expect(codeOf(() => readSafetensors(rawFile(h, f32(1))))).toBe("SAFETENSORS_OFFSET_OUT_OF_RANGE");
  });
  it("rejects a byte range that does not match shape × dtype size", () => {
    const h = { a: { dtype: "F32", shape: [3], data_offsets: [0, 8] } };
    expect(codeOf(() => readSafetensors(rawFile(h, f32(2))))).toBe("SAFETENSORS_SIZE_MISMATCH");
  });
  it("rejects overlapping tensors", () => {
    const h = {
      a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
      b: { dtype: "F32", shape: [2], data_offsets: [4, 12] },
    };
    expect(codeOf(() => readSafetensors(rawFile(h, f32(3))))).toBe("SAFETENSORS_OVERLAPPING_TENSORS");
  });
  it("rejects gaps between tensors and trailing bytes no tensor owns", () => {
    const gap = {
      a: { dtype: "F32", shape: [1], data_offsets: [0, 4] },
      b: { dtype: "F32", shape: [1], data_offsets: [8, 12] },
    };
    const trailing = { a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } };
    expect(codeOf(() => readSafetensors(rawFile(gap, f32(3))))).toBe("SAFETENSORS_NON_CONTIGUOUS");
    expect(codeOf(() => readSafetensors(rawFile(trailing, f32(2))))).toBe("SAFETENSORS_NON_CONTIGUOUS");
  });
  it("refuses to write data whose length disagrees with the shape", () => {
    expect(
      codeOf(() => writeSafetensors({ a: { dtype: "F32", shape: [3], data: new Float32Array(2) } })),
    ).toBe("SAFETENSORS_SIZE_MISMATCH");
  });
});

describe("half-precision conversion", () => {
  it("converts f16 and bf16 exactly where representable and rounds to nearest otherwise", () => {
    for (const v of [0, 1, -2, 0.5, 65504, 2 ** -14, 2 ** -24]) {
      expect(f16BitsToNumber(numberToF16Bits(v))).toBe(v);
    }
    expect(f16BitsToNumber(numberToF16Bits(1 + 2 ** -11))).toBe(1); // tie → even
    expect(f16BitsToNumber(numberToF16Bits(1e6))).toBe(Number.POSITIVE_INFINITY);
    for (const v of [0, 1, -3, 0.15625, 2 ** 100]) expect(bf16BitsToNumber(numberToBf16Bits(v))).toBe(v);
    expect(bf16BitsToNumber(numberToBf16Bits(1 + 2 ** -8))).toBe(1); // tie → even
    expect(Number.isNaN(bf16BitsToNumber(numberToBf16Bits(Number.NaN)))).toBe(true);
  });
});
