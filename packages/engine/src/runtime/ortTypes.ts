import * as ort from "onnxruntime-node";
import type { GraphDType } from "../graph/dtype.ts";

export { ort };

/** Typed array behind an ORT tensor of each IR dtype. */
export type HostArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

const ORT_TYPE: Record<GraphDType, "float32" | "float64" | "int32" | "int64" | "bool"> = {
  float32: "float32",
  float64: "float64",
  int32: "int32",
  int64: "int64",
  bool: "bool",
};

/** Allocate a zeroed host array for a dtype. */
export function allocate(dtype: GraphDType, size: number): HostArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(size);
    case "float64":
      return new Float64Array(size);
    case "int32":
      return new Int32Array(size);
    case "int64":
      return new BigInt64Array(size);
    case "bool":
      return new Uint8Array(size);
    default:
      return dtype satisfies never;
  }
}

/** Wrap a host array as an ORT tensor (no copy: ORT reads and writes the array in place). */
export function ortTensor(dtype: GraphDType, data: HostArray, dims: readonly number[]): ort.Tensor {
  if (dtype === "bool") return new ort.Tensor("bool", data as Uint8Array, dims);
  return new ort.Tensor(ORT_TYPE[dtype], data as Float32Array, dims);
}
