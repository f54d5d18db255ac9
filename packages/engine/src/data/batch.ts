/**
 * A batch of token sequences ready for a compiled training or evaluation step. All arrays are row-major
 * `[batchSize, seqLen]`. `inputIds[b, t]` predicts `targets[b, t]`; `weights[b, t]` is 1 where the target
 * is scored (assistant tokens) and 0 where it is masked (system, user, tool text, padding).
 * `targetBytes[b, t]` is the UTF-8 byte length of the target token (0 where unscored), for BPC.
 */
export interface Batch {
  batchSize: number;
  seqLen: number;
  inputIds: Int32Array;
  targets: Int32Array;
  weights: Float32Array;
  targetBytes: Int32Array;
  /** Attention padding mask, 1 for real tokens and 0 for padding. */
  attentionMask: Float32Array;
}
