import { describe, expect, it } from "vitest";
import { coalitionEvaluations, listedModels } from "./flCoalitionVotes.ts";

describe("a voter's coalition evaluations", () => {
  it("evaluates each listed model once, reusing the global model's loss", async () => {
    const asked: string[] = [];
    const evaluate = async (id: string) => {
      asked.push(id);
      return { numExamples: 3, metrics: { loss: id.length / 10, accuracy: 0.5 } };
    };
    const models = listedModels({ body: { stage: "vote-commit", models: ["g", "ab", "abc"] } })!;
    expect(await coalitionEvaluations(models, evaluate, { g: 0.75 })).toEqual({ g: 0.75, ab: 0.2, abc: 0.3 });
    expect(asked).toEqual(["ab", "abc"]);
    expect(listedModels({ body: { stage: "vote-commit" } })).toBeUndefined();
  });

  it("refuses a malformed list and a model evaluated without a finite loss", async () => {
    expect(() => listedModels({ body: { models: [1, 2] } })).toThrow(
      expect.objectContaining({ code: "FL_VOTE_MALFORMED" }),
    );
    await expect(
      coalitionEvaluations(["m"], async () => ({ numExamples: 1, metrics: { loss: Number.NaN } })),
    ).rejects.toMatchObject({ code: "FL_VOTE_NO_LOSS" });
  });
});
