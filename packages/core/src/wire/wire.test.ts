import { Value } from "typebox/value";
import { describe, expect, it } from "vitest";
import { wire } from "../index.ts";

const task: wire.Task = {
  id: 7,
  title: "instruction tuning",
  description: "d",
  type: "lm-lora",
  baseModel: `sha256:${"a".repeat(64)}`,
  contextLength: 128,
  maxTrainableParams: 5_000_000,
  trainingSetId: `sha256:${"b".repeat(64)}`,
  validationCommitment: `sha256:${"c".repeat(64)}`,
  submissionDeadline: "2030-01-01T00:00:00.000Z",
  endTime: "2030-01-02T00:00:00.000Z",
  rewardWeight: "100",
  minStake: (3000n * 10n ** 18n).toString(),
  minLockDays: 30,
  status: "draft",
  creator: `0x${"1".repeat(40)}`,
  createdAt: "2029-12-31T00:00:00.000Z",
  pool: "0",
  approvedWeight: null,
  next: ["open it: POST /tasks/7/open"],
};

describe("wire types", () => {
  it("each named schema is registered under the $id it declares, once", () => {
    for (const [name, schema] of Object.entries(wire.WIRE_SCHEMAS)) {
      expect((schema as { $id?: unknown }).$id).toBe(name);
    }
    expect(new Set(Object.values(wire.WIRE_SCHEMAS)).size).toBe(Object.keys(wire.WIRE_SCHEMAS).length);
  });

  it("a task as the coordinator serves it is a Task; a task from before funding terms too", () => {
    expect(Value.Check(wire.Task, task)).toBe(true);
    const { pool: _pool, approvedWeight: _weight, next: _next, ...legacy } = task;
    expect(Value.Check(wire.Task, legacy)).toBe(true);
  });

  it("an amount as a JSON number, a negative amount or a fraction is no Task: amounts are decimal strings of base units", () => {
    expect(Value.Check(wire.Task, { ...task, minStake: 3000 })).toBe(false);
    expect(Value.Check(wire.Task, { ...task, rewardWeight: "-1" })).toBe(false);
    expect(Value.Check(wire.Task, { ...task, pool: "1.5" })).toBe(false);
    expect(Value.Check(wire.Task, { ...task, status: "paid" })).toBe(false);
  });

  it("scores are signed fixed-point strings; claims carry 32-byte proof nodes", () => {
    expect(Value.Check(wire.FixedPointScore, "-1200000000000000000")).toBe(true);
    expect(Value.Check(wire.FixedPointScore, "1.2")).toBe(false);
    const claim = { amount: "21014492753623188406", proof: [`0x${"ab".repeat(32)}`] };
    expect(Value.Check(wire.Claim, claim)).toBe(true);
    expect(Value.Check(wire.Claim, { ...claim, proof: ["0xab"] })).toBe(false);
  });
});
