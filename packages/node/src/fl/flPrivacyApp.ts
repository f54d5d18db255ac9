import { fixedClippingNode, KEY_CLIPPING_NORM, type Metrics, type NodeApp, secAggPlusNode } from "@flock/fl";
import type { FlTask } from "@flock/sdk";

/** The metrics of the last local training, seen inside the privacy wrappers (which may hide them). */
export interface LastTraining {
  metrics: Metrics | undefined;
}

/**
 * The node side of a task's privacy mode around a participant's app: `plain` sends updates as they are;
 * `secagg` answers the SecAgg+ stages (`secAggPlusNode`: training happens inside the masked-input stage and
 * only the masked encoding leaves the node); `secagg+dp` also clips each update to the task's clipping norm
 * before masking (`fixedClippingNode`, the node side of `DifferentialPrivacyClientSideFixedClipping`: the
 * coordinator adds the noise to the unmasked mean). `lastTraining` holds the local training metrics for
 * progress lines, which the masked reply does not carry.
 */
export function flPrivacyApp(
  privacy: FlTask["privacy"],
  app: NodeApp,
): { app: NodeApp; lastTraining: LastTraining } {
  const lastTraining: LastTraining = { metrics: undefined };
  const observed: NodeApp = {
    async train(message) {
      const update = await app.train(message);
      lastTraining.metrics = update.metrics;
      return update;
    },
    evaluate: (message) => app.evaluate(message),
    ...(app.exchange ? { exchange: app.exchange.bind(app) } : {}),
  };
  switch (privacy.mode) {
    case "plain":
      return { app: observed, lastTraining };
    case "secagg":
      return { app: secAggPlusNode(observed), lastTraining };
    case "secagg+dp": {
      const clipped = fixedClippingNode(observed);
      const clipNorm = privacy.clipNorm;
      // The coordinator's wrapper sends the clipping norm with each message; the task's own is the fallback.
      const withNorm: NodeApp =
        clipNorm === undefined
          ? clipped
          : {
              train: (message) =>
                clipped.train(
                  message.config[KEY_CLIPPING_NORM] === undefined
                    ? { ...message, config: { ...message.config, [KEY_CLIPPING_NORM]: clipNorm } }
                    : message,
                ),
              evaluate: (message) => clipped.evaluate(message),
            };
      return { app: secAggPlusNode(withNorm), lastTraining };
    }
    default:
      return privacy.mode satisfies never;
  }
}
