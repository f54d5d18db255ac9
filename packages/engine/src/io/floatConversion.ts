import { ValidationError } from "@flock/core";
import type { TensorData } from "./tensor.ts";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Decode an IEEE 754 half-precision bit pattern to a number. */
export function f16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Encode a number as an IEEE 754 half-precision bit pattern (round to nearest even). */
export function numberToF16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0);
  // Rebias the exponent from float32 (127) to float16 (15).
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    let half = mantissa >> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (half & 1) === 1)) half += 1;
    return sign | half;
  }
  let half = (e << 10) | (mantissa >> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half += 1;
  return sign | half;
}

/** Decode a bfloat16 bit pattern (the top 16 bits of a float32). */
export function bf16BitsToNumber(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0]!;
}

/** Encode a number as bfloat16 bits (round to nearest even, NaN kept NaN). */
export function numberToBf16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Any floating tensor (F64, F32, F16, BF16) as a Float32Array; weights stored in half precision load this way. */
export function tensorToFloat32(tensor: TensorData): Float32Array {
  switch (tensor.dtype) {
    case "F32":
      return tensor.data as Float32Array;
    case "F64":
      return Float32Array.from(tensor.data as Float64Array);
    case "F16":
      return Float32Array.from(tensor.data as Uint16Array, f16BitsToNumber);
    case "BF16":
      return Float32Array.from(tensor.data as Uint16Array, bf16BitsToNumber);
    case "I64":
    case "I32":
    case "I16":
    case "I8":
    case "U8":
    case "BOOL":
      throw new ValidationError("TENSOR_NOT_FLOAT", `a ${tensor.dtype} tensor cannot be read as float32`, {
        hint: "only F64, F32, F16 and BF16 tensors hold weights",
      });
    default:
      return tensor.dtype satisfies never;
  }
}
