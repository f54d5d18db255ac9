/** Element types a safetensors file can hold and the engine reads or writes. */
export type DType = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL";

/** A named tensor as stored in weights files: dtype, shape and its elements. */
export interface TensorData {
  dtype: DType;
  shape: number[];
  /**
   * F32 → Float32Array, F64 → Float64Array, I32 → Int32Array, I64 → BigInt64Array, I16 → Int16Array,
   * I8 → Int8Array, F16 and BF16 → Uint16Array (raw bit patterns), U8 and BOOL → Uint8Array.
   */
  data:
    | Float32Array
    | Float64Array
    | Int32Array
    | BigInt64Array
    | Uint8Array
    | Int16Array
    | Int8Array
    | Uint16Array;
}
