/** Asserts that a transaction reverts with a given custom error of any Flock (or OpenZeppelin) contract. */
import { type Abi, BaseError, decodeErrorResult, type Hex } from "viem";
import { expect } from "vitest";
import { flockArtifacts } from "../../src/index.ts";

const errorAbi = Object.values(flockArtifacts).flatMap((artifact) =>
  (artifact.abi as Abi).filter((item) => item.type === "error"),
) as Abi;

function revertData(error: unknown): Hex | undefined {
  if (!(error instanceof BaseError)) return undefined;
  let found: Hex | undefined;
  error.walk((cause) => {
    const candidate = cause as { raw?: unknown; data?: unknown };
    for (const value of [candidate.raw, candidate.data]) {
      if (found === undefined && typeof value === "string" && value.startsWith("0x") && value.length >= 10) {
        found = value as Hex;
      }
    }
    return false;
  });
  return found;
}

/** Lowercases addresses so checksummed and lowercase spellings compare equal. */
function normalize(values: readonly unknown[]): unknown[] {
  return values.map((value) =>
    typeof value === "string" && /^0x[0-9a-fA-F]{40}$/.test(value) ? value.toLowerCase() : value,
  );
}

/** Awaits `action` (a pending write) and checks it reverted with `errorName` and, if given, `args`. */
export async function expectRevert(
  action: Promise<unknown>,
  errorName: string,
  args?: readonly unknown[],
): Promise<void> {
  let caught: unknown;
  try {
    await action;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a revert with ${errorName}`).toBeDefined();
  const data = revertData(caught);
  expect(data, `no revert data in: ${String(caught)}`).toBeDefined();
  const decoded = decodeErrorResult({ abi: errorAbi, data: data! });
  expect(decoded.errorName).toBe(errorName);
  if (args !== undefined) expect(normalize(decoded.args ?? [])).toEqual(normalize(args));
}
