/** Element types of graph tensors: floats for activations and parameters, integers for token ids, bool for masks. */
export type GraphDType = "float32" | "float64" | "int32" | "int64" | "bool";

/** True for the floating-point dtypes (the only ones gradients flow through). */
export function isFloat(dtype: GraphDType): boolean {
  return dtype === "float32" || dtype === "float64";
}
