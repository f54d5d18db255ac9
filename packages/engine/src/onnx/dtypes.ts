import type { GraphDType } from "../graph/dtype.ts";

/** ONNX TensorProto.DataType codes of the IR dtypes. */
export const ONNX_DTYPE: Record<GraphDType, number> = {
  float32: 1,
  int32: 6,
  int64: 7,
  bool: 9,
  float64: 11,
};

/** Little-endian raw bytes of values in an IR dtype (for initializers). */
export function rawBytes(values: ArrayLike<number>, dtype: GraphDType): Uint8Array {
  switch (dtype) {
    case "float32":
      return new Uint8Array(Float32Array.from(values).buffer);
    case "float64":
      return new Uint8Array(Float64Array.from(values).buffer);
    case "int32":
      return new Uint8Array(Int32Array.from(values).buffer);
    case "int64":
      return new Uint8Array(BigInt64Array.from(Array.from(values, (v) => BigInt(Math.trunc(v)))).buffer);
    case "bool":
      return Uint8Array.from(values, (v) => (v !== 0 ? 1 : 0));
    default:
      return dtype satisfies never;
  }
}
