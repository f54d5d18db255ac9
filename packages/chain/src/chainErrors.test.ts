import { flockArtifacts, taskStakingAbi } from "@flock/contracts";
import { ChainError, ValidationError } from "@flock/core";
import { type Abi, encodeErrorResult } from "viem";
import { describe, expect, it } from "vitest";
import { decodeRevert, toChainError } from "./chainErrors.ts";
import { EXPLAINED_ERRORS, explainRevert } from "./revertExplanations.ts";

describe("revert mapping", () => {
  it("every custom error of every Flock contract has its own explanation", () => {
    const names = new Set<string>();
    for (const { abi } of Object.values(flockArtifacts)) {
      for (const item of abi as Abi) if (item.type === "error") names.add(item.name);
    }
    const missing = [...names].filter((name) => !EXPLAINED_ERRORS.includes(name));
    expect(missing).toEqual([]);
    for (const name of names) {
      const explained = explainRevert(name, [1n, 2n, 3n, 4n]);
      expect(explained.code).toMatch(/^[A-Z][A-Z0-9_]+$/);
      expect(explained.code).not.toBe("CONTRACT_REVERTED");
      expect(explained.hint.length).toBeGreaterThan(10);
    }
  });

  it("revert data of one contract decodes even when another contract was called", () => {
    const data = encodeErrorResult({
      abi: taskStakingAbi,
      errorName: "WithdrawLocked",
      args: [7n, 1_800_000_000n],
    });
    expect(decodeRevert(data)).toEqual({ errorName: "WithdrawLocked", args: [7n, 1_800_000_000n] });
    const explained = explainRevert("WithdrawLocked", [7n, 1_800_000_000n]);
    expect(explained.message).toBe("the dispute window of task 7 lasts until 2027-01-15T08:00:00.000Z");
  });

  it("an error this client does not know keeps its name and arguments in the message", () => {
    expect(explainRevert("BrandNewError", [5n, "0xabc"])).toMatchObject({
      code: "CONTRACT_REVERTED",
      message: "the contract reverted with BrandNewError(5, 0xabc)",
    });
    expect(decodeRevert("0xdeadbeef")).toBeUndefined();
  });

  it("Flock errors thrown before reaching the chain keep their code", () => {
    const wrapped = toChainError(
      new ValidationError("LOCK_DAYS_INVALID", "bad days", { hint: "whole days" }),
      "lock FLOCK",
    );
    expect(wrapped).toBeInstanceOf(ChainError);
    expect(wrapped).toMatchObject({ code: "LOCK_DAYS_INVALID", hint: "whole days" });
    const plain = toChainError(new Error("socket hang up"), "lock FLOCK");
    expect(plain).toMatchObject({
      code: "CHAIN_REQUEST_FAILED",
      message: "lock FLOCK failed: socket hang up",
    });
  });
});
