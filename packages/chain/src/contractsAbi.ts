import { flockArtifacts } from "@flock/contracts";
import { type Abi, toFunctionSelector } from "viem";

type AbiError = Extract<Abi[number], { type: "error" }>;

/**
 * Every custom error of every Flock contract (OpenZeppelin's included), once per signature. A call into
 * one contract can revert with another's error (GmFlock.lock reverts with FlockToken's
 * ERC20InsufficientAllowance), so reverts are decoded against all of them.
 */
export const allErrorsAbi: Abi = (() => {
  const bySignature = new Map<string, AbiError>();
  for (const { abi } of Object.values(flockArtifacts)) {
    for (const item of abi as Abi) {
      if (item.type !== "error") continue;
      const signature = `${item.name}(${item.inputs.map((input) => input.type).join(",")})`;
      bySignature.set(toFunctionSelector(signature), item);
    }
  }
  return [...bySignature.values()];
})();
