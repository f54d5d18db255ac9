import { ValidationError } from "@flock/core";
import type { Evaluation } from "@flock/fl";
import type { FlMessage } from "@flock/sdk";

/**
 * The models a vote-commit message asks this voter to evaluate besides the candidate: under the `contribution`
 * pay rule the coordinator lists the global model and every coalition model of the round's proposers
 * (`body.models`, content ids); under the stake rule it lists none (undefined).
 */
export function listedModels(m: Pick<FlMessage, "body">): string[] | undefined {
  const models = m.body?.models;
  if (models === undefined) return undefined;
  if (!Array.isArray(models) || !models.every((id) => typeof id === "string")) {
    throw new ValidationError(
      "FL_VOTE_MALFORMED",
      "a vote-commit message's models are not a list of content ids",
      {
        hint: "the coordinator lists the coalition models to evaluate as content ids",
      },
    );
  }
  return models as string[];
}

/**
 * The voter's evaluations for the contribution pay rule: the loss of every listed model on its own test data
 * (content id → loss), committed with the vote and revealed with it. `known` holds losses already measured
 * (the global model's); each other model is fetched and evaluated once, in the listed order.
 */
export async function coalitionEvaluations(
  models: readonly string[],
  evaluate: (id: string) => Promise<Evaluation>,
  known: Readonly<Record<string, number>> = {},
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const id of models) {
    if (Object.hasOwn(known, id)) {
      out[id] = known[id]!;
      continue;
    }
    const loss = (await evaluate(id)).metrics.loss;
    if (typeof loss !== "number" || !Number.isFinite(loss)) {
      throw new ValidationError(
        "FL_VOTE_NO_LOSS",
        `the evaluation of coalition model ${id} reports no finite loss`,
        {
          hint: "a node app's evaluate must report a finite `loss` metric for every model of the vote",
        },
      );
    }
    out[id] = loss;
  }
  return out;
}
