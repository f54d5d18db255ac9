import { contentId, parseFlock, sha256Hex } from "@flock/core";
import type { Kysely } from "kysely";
import type { DialectName } from "../database.ts";
import type { Repositories } from "../repositories.ts";
import type { Database } from "../schema.ts";
import type { NewTask } from "../tasks.ts";

/** What each conformance case gets: the database under test and repositories over it. */
export interface StoreTestContext {
  readonly dialect: DialectName;
  readonly db: Kysely<Database>;
  readonly repos: Repositories;
}

/** A deterministic EVM address for test account `n`. */
export function account(n: number): string {
  return `0x${n.toString(16).padStart(40, "0")}`;
}

/** A deterministic content id for a label. */
export function cid(label: string): `sha256:${string}` {
  return contentId(label);
}

/** A deterministic 32-byte hash for a label. */
export function hash32(label: string): `0x${string}` {
  return `0x${sha256Hex(label)}`;
}

export const T0 = new Date("2026-01-01T00:00:00.000Z");

/** `minutes` after T0. */
export function at(minutes: number): Date {
  return new Date(T0.getTime() + minutes * 60_000);
}

/** A valid task, with overrides. */
export function newTask(overrides: Partial<NewTask> = {}): NewTask {
  return {
    title: "Instruction following, small Llama",
    description: "LoRA-tune the base model on the synthetic instruction set",
    type: "lm-lora",
    baseModel: "flock/tiny-llama-d128",
    contextLength: 128,
    maxTrainableParams: 5_000_000,
    trainingSetId: cid("training set"),
    validationCommitment: cid("hidden set"),
    submissionDeadline: at(60),
    endTime: at(120),
    rewardWeight: 100n,
    minStake: parseFlock("3000"),
    minLockDays: 30,
    creator: account(1),
    ...overrides,
  };
}
