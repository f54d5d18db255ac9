import { expect, it } from "vitest";
import type { ModelLineage, NewModel } from "./models.ts";
import { account, cid, newTask, type StoreTestContext } from "./testing/fixtures.ts";

export function modelCases(ctx: StoreTestContext): void {
  async function newModel(overrides: Partial<NewModel> = {}): Promise<NewModel> {
    const task = await ctx.repos.tasks.create(newTask());
    const lineage: ModelLineage = {
      task: { id: task.id, title: task.title, type: task.type, kind: "arena" },
      baseModel: task.baseModel,
      trainers: [account(2)],
      validators: [
        { account: account(3), score: "-1250000000000000000" },
        { account: account(4), score: "-1240000000000000000" },
      ],
      consensusScore: "-1245000000000000000",
      submissionId: 7,
      datasets: [cid("training set")],
    };
    return {
      name: "flock/t1-instructions",
      kind: "arena-lora",
      taskId: task.id,
      baseModel: task.baseModel,
      artifact: cid("adapter 1"),
      license: "apache-2.0",
      metrics: { bitsPerByte: 1.245 },
      lineage,
      ...overrides,
    };
  }

  it("registers versions of a name, idempotent by artifact, with lineage and metrics read back", async () => {
    const first = await ctx.repos.models.register(await newModel());
    expect(first).toMatchObject({ name: "flock/t1-instructions", version: 1, kind: "arena-lora" });
    expect(first.lineage.validators).toHaveLength(2);
    expect(first.metrics).toEqual({ bitsPerByte: 1.245 });
    // The same artifact again: the first record, not a new version.
    expect(await ctx.repos.models.register(await newModel({ name: "flock/other" }))).toEqual(first);
    const second = await ctx.repos.models.register(await newModel({ artifact: cid("adapter 2") }));
    expect(second.version).toBe(2);
    await ctx.repos.models.register(
      await newModel({ name: "flock/fl-digits", kind: "fl-global", artifact: cid("g") }),
    );
    expect((await ctx.repos.models.versions("flock/t1-instructions")).map((m) => m.version)).toEqual([1, 2]);
    expect((await ctx.repos.models.list()).map((m) => `${m.name}@${m.version}`)).toEqual([
      "flock/fl-digits@1",
      "flock/t1-instructions@2",
    ]);
    expect(await ctx.repos.models.list({ allVersions: true })).toHaveLength(3);
    expect(await ctx.repos.models.get(first.id)).toEqual(first);
    expect(await ctx.repos.models.get(String(first.id))).toEqual(first);
    expect(await ctx.repos.models.get("flock/t1-instructions")).toEqual(second);
    expect(await ctx.repos.models.get("flock/t1-instructions@1")).toEqual(first);
    expect(await ctx.repos.models.byArtifact(cid("adapter 2"))).toEqual(second);
    expect(await ctx.repos.models.byArtifact(cid("none"))).toBeUndefined();
  });

  it("refuses malformed names and unknown models with clear codes", async () => {
    await expect(ctx.repos.models.register(await newModel({ name: "Flock/Upper" }))).rejects.toMatchObject({
      code: "MODEL_NAME_MALFORMED",
    });
    await expect(
      ctx.repos.models.register(await newModel({ metrics: { loss: Number.NaN } })),
    ).rejects.toMatchObject({
      code: "METRIC_NOT_FINITE",
    });
    await expect(ctx.repos.models.get(999_999)).rejects.toMatchObject({ code: "MODEL_NOT_FOUND" });
    await expect(ctx.repos.models.get("flock/nothing")).rejects.toMatchObject({ code: "MODEL_NOT_FOUND" });
    await expect(ctx.repos.models.get("flock/nothing@x")).rejects.toMatchObject({
      code: "MODEL_NAME_MALFORMED",
    });
    await expect(ctx.repos.models.get("no-slash")).rejects.toMatchObject({ code: "MODEL_NAME_MALFORMED" });
    expect(await ctx.repos.models.list()).toEqual([]);
  });
}
