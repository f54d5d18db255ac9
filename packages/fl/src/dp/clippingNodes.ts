import { ValidationError } from "@flock/core";
import { clipModelUpdate } from "../clipping.ts";
import type { NodeApp } from "../inMemoryGrid.ts";
import type { Message, Update } from "../messages.ts";
import { KEY_CLIPPING_NORM, KEY_NORM_BIT } from "./noiseCalibration.ts";

/** The clipping norm a client-side DP wrapper sent with a training message; throws when it is absent. */
function clippingNormOf(message: Message): number {
  const value = message.config[KEY_CLIPPING_NORM];
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
    throw new ValidationError(
      "FL_DP_CLIPPING_NORM_MISSING",
      `the training message carries ${KEY_CLIPPING_NORM} = ${String(value)}; client-side clipping needs a number > 0`,
      {
        hint: "wrap the server's strategy in DifferentialPrivacyClientSideFixedClipping or DifferentialPrivacyClientSideAdaptiveClipping",
      },
    );
  }
  return value;
}

/** Trains with `app`, then clips the update against the arrays the node was sent. */
async function trainClipped(
  app: NodeApp,
  message: Message,
): Promise<{ update: Update; clipped: ReturnType<typeof clipModelUpdate> }> {
  const norm = clippingNormOf(message);
  if (!message.arrays) {
    throw new ValidationError("FL_DP_NO_GLOBAL", "a training message without arrays cannot be clipped", {
      hint: "send the global arrays with every training message",
    });
  }
  const update = await app.train(message);
  return { update, clipped: clipModelUpdate(message.arrays, update.arrays, norm) };
}

/** `app` with its protocol steps kept (secure aggregation wraps the clipping node). */
function passThrough(app: NodeApp): Pick<NodeApp, "evaluate" | "exchange"> {
  return {
    evaluate: (message) => app.evaluate(message),
    ...(app.exchange ? { exchange: app.exchange.bind(app) } : {}),
  };
}

/**
 * The node side of client-side fixed clipping (Flower's `fixedclipping_mod`): after local training the
 * update Δ = model − received is clipped to the L2 norm C the server sent (config `clipping-norm`) and added
 * back to the received model. Evaluation and exchanges pass through; wrap it in `secAggPlusNode` to clip
 * before masking.
 */
export function fixedClippingNode(app: NodeApp): NodeApp {
  return {
    async train(message) {
      const { update, clipped } = await trainClipped(app, message);
      return { ...update, arrays: clipped.arrays };
    },
    ...passThrough(app),
  };
}

/**
 * The node side of client-side adaptive clipping (Flower's `adaptiveclipping_mod`): clips as
 * `fixedClippingNode` does and reports metric `norm-bit` = 1 when the update had to be clipped (its norm
 * exceeded C), else 0, for the server's noised count.
 */
export function adaptiveClippingNode(app: NodeApp): NodeApp {
  return {
    async train(message) {
      const { update, clipped } = await trainClipped(app, message);
      return {
        ...update,
        arrays: clipped.arrays,
        metrics: { ...update.metrics, [KEY_NORM_BIT]: clipped.factor < 1 ? 1 : 0 },
      };
    },
    ...passThrough(app),
  };
}
