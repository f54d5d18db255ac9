/**
 * Rotary tables (Su et al. 2021, RoFormer) for positions [0, length): angle(p, i) = p · θ^(−2i/d) for
 * i < d/2, as Hugging Face Llama computes them. Returned row-major [length, d/2].
 */
export function rotaryTables(
  length: number,
  headDim: number,
  theta: number,
): { cos: Float64Array; sin: Float64Array } {
  const half = headDim / 2;
  const cos = new Float64Array(length * half);
  const sin = new Float64Array(length * half);
  for (let p = 0; p < length; p++) {
    for (let i = 0; i < half; i++) {
      // Compute the frequency in float32 like the reference implementation, so positions match exactly.
      const invFreq = Math.fround(1 / theta ** ((2 * i) / headDim));
      const angle = Math.fround(p * invFreq);
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  }
  return { cos, sin };
}
