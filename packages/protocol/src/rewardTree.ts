import { NotFoundError, ValidationError } from "@flock/core";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { assertUnique, normalizeAccount, readAmount, readCount } from "./validate.ts";

/** Leaf encoding shared with the contracts: (epoch, account, amount), verified by OpenZeppelin MerkleProof. */
export const REWARD_LEAF_ENCODING = ["uint256", "address", "uint256"] as const;
/** The root of a tree with no leaves: nothing is claimable. */
export const EMPTY_ROOT = `0x${"0".repeat(64)}` as const;

/** One claimable amount of one account in one epoch's tree. */
export interface RewardLeaf {
  account: string;
  amount: bigint;
}

/** A built reward tree: its root and a proof per account. */
export interface RewardTree {
  epoch: bigint;
  root: `0x${string}`;
  leaves: { account: `0x${string}`; amount: bigint }[];
  /** The OpenZeppelin tree, or null when there are no leaves. */
  tree: StandardMerkleTree<[bigint, string, bigint]> | null;
}

/**
 * Build an epoch's reward tree: one leaf (epoch, account, amount) per account with amount > 0, encoded as
 * StandardMerkleTree does (leaf = keccak256(bytes.concat(keccak256(abi.encode(epoch, account, amount))))).
 * Zero amounts are left out; an empty tree has root 0x00…00.
 */
export function buildRewardTree(epoch: bigint | number, leaves: readonly RewardLeaf[]): RewardTree {
  const e = readCount(epoch, "epoch");
  const normalized = leaves
    .map((leaf, i) => ({
      account: normalizeAccount(leaf.account, `leaves[${i}].account`),
      amount: readAmount(leaf.amount, `leaves[${i}].amount`),
    }))
    .filter((leaf) => leaf.amount > 0n)
    .sort((a, b) => (a.account < b.account ? -1 : a.account > b.account ? 1 : 0));
  assertUnique(
    normalized.map((l) => l.account),
    "reward tree account",
  );
  if (normalized.length === 0) return { epoch: e, root: EMPTY_ROOT, leaves: [], tree: null };
  const tree = StandardMerkleTree.of<[bigint, string, bigint]>(
    normalized.map((l) => [e, l.account, l.amount]),
    [...REWARD_LEAF_ENCODING],
  );
  return { epoch: e, root: tree.root as `0x${string}`, leaves: normalized, tree };
}

/** The proof that `account` may claim its amount from the tree. */
export function rewardProof(tree: RewardTree, account: string): { amount: bigint; proof: `0x${string}`[] } {
  const normalized = normalizeAccount(account);
  const index = tree.leaves.findIndex((l) => l.account === normalized);
  if (index < 0 || tree.tree === null) {
    throw new NotFoundError("REWARD_NOT_FOUND", `${normalized} has nothing to claim in epoch ${tree.epoch}`, {
      hint: "only accounts with a positive amount have a leaf in the epoch's tree",
    });
  }
  const leaf = tree.leaves[index]!;
  return {
    amount: leaf.amount,
    proof: tree.tree.getProof([tree.epoch, leaf.account, leaf.amount]) as `0x${string}`[],
  };
}

/** Check a claim against a root exactly as OpenZeppelin's MerkleProof.verify does on-chain. */
export function verifyRewardProof(claim: {
  root: string;
  epoch: bigint | number;
  account: string;
  amount: bigint;
  proof: readonly string[];
}): boolean {
  if (!/^0x[0-9a-fA-F]{64}$/.test(claim.root)) {
    throw new ValidationError("ROOT_MALFORMED", `root ${JSON.stringify(claim.root)} is not 32 bytes of hex`, {
      hint: "a Merkle root is 0x followed by 64 hex digits",
    });
  }
  if (claim.root === EMPTY_ROOT) return false;
  return StandardMerkleTree.verify(
    claim.root,
    [...REWARD_LEAF_ENCODING],
    [readCount(claim.epoch, "epoch"), normalizeAccount(claim.account), readAmount(claim.amount, "amount")],
    [...claim.proof],
  );
}
