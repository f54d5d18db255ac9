import type { Arrays } from "../arrays.ts";
import { clipModelUpdate } from "../clipping.ts";
import type { Reply } from "../messages.ts";

/** One update's clipping: its L2 norm before clipping and the factor applied (1 when within the norm). */
export interface UpdateNorm {
  readonly nodeId: string;
  readonly norm: number;
  readonly factor: number;
}

/**
 * The training replies with each update Δ = model − global clipped to L2 norm `clippingNorm` over all arrays
 * together (Flower's `compute_clip_model_update`), and each clipped update's norm. With `slack` > 0 an
 * update is left untouched unless its norm exceeds clippingNorm·(1 + slack) (used to check updates that
 * nodes clipped themselves, allowing float32 rounding). Replies whose arrays do not match the model's
 * layout, or hold NaN, are passed on as they are for the inner strategy to reject.
 */
export function clipReplies(
  global: Arrays,
  replies: readonly Reply[],
  clippingNorm: number,
  slack = 0,
): { replies: Reply[]; norms: UpdateNorm[] } {
  const norms: UpdateNorm[] = [];
  const out = replies.map((reply): Reply => {
    if (!("update" in reply)) return reply;
    let clipped: ReturnType<typeof clipModelUpdate>;
    try {
      clipped = clipModelUpdate(global, reply.update.arrays, clippingNorm);
    } catch {
      return reply;
    }
    if (!Number.isFinite(clipped.norm)) return reply;
    if (slack > 0 && clipped.norm <= clippingNorm * (1 + slack)) {
      norms.push({ nodeId: reply.nodeId, norm: clipped.norm, factor: 1 });
      return reply;
    }
    norms.push({ nodeId: reply.nodeId, norm: clipped.norm, factor: clipped.factor });
    return { ...reply, update: { ...reply.update, arrays: clipped.arrays } };
  });
  return { replies: out, norms };
}
