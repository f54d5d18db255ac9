import { NotFoundError, toAmount, ValidationError } from "@flock/core";
import type { Kysely, Selectable } from "kysely";
import { guard } from "./dbErrors.ts";
import type { Database, RewardsTable, RewardTree } from "./schema.ts";
import { amountText, normalizeAddress, normalizeHash32 } from "./values.ts";

/** One account's reward in one epoch's Merkle tree, with the proof it claims with (SPEC §3). */
export interface Reward {
  epoch: number;
  account: string;
  tree: RewardTree;
  amount: bigint;
  proof: `0x${string}`[];
}

export interface NewReward {
  account: string;
  tree: RewardTree;
  amount: bigint;
  proof: string[];
}

function toReward(row: Selectable<RewardsTable>): Reward {
  return {
    epoch: row.epoch,
    account: row.account,
    tree: row.tree,
    amount: toAmount(row.amount, "reward amount"),
    proof: row.proof as `0x${string}`[],
  };
}

/** Rewards: written once per epoch with their proofs, read per account for claims. */
export class RewardRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Store an epoch's rewards (all or nothing: one statement). */
  async recordEpoch(epoch: number, rewards: readonly NewReward[]): Promise<number> {
    if (rewards.length === 0) return 0;
    const rows = rewards.map((reward) => {
      if (!Array.isArray(reward.proof)) {
        throw new ValidationError("PROOF_MALFORMED", "a reward proof must be a list of hashes", {
          hint: "pass the Merkle proof as an array of 0x-prefixed 32-byte hashes",
        });
      }
      return {
        epoch,
        account: normalizeAddress(reward.account),
        tree: reward.tree,
        amount: amountText(reward.amount),
        proof: JSON.stringify(reward.proof.map((node) => normalizeHash32(node, "proof node"))),
      };
    });
    const result = await guard({ what: `rewards of epoch ${epoch}` }, () =>
      this.#db.insertInto("rewards").values(rows).executeTakeFirst(),
    );
    return Number(result.numInsertedOrUpdatedRows ?? 0n);
  }

  /** One reward; NotFoundError REWARD_NOT_FOUND when the account earned nothing in that tree. */
  async get(epoch: number, account: string, tree: RewardTree): Promise<Reward> {
    const row = await this.#db
      .selectFrom("rewards")
      .selectAll()
      .where("epoch", "=", epoch)
      .where("account", "=", normalizeAddress(account))
      .where("tree", "=", tree)
      .executeTakeFirst();
    if (row === undefined) {
      throw new NotFoundError("REWARD_NOT_FOUND", `${account} has no ${tree} reward in epoch ${epoch}`, {
        hint: "list the account's rewards to see which epochs paid it",
      });
    }
    return toReward(row);
  }

  /** An account's rewards across epochs, oldest first. */
  async listForAccount(account: string): Promise<Reward[]> {
    const rows = await this.#db
      .selectFrom("rewards")
      .selectAll()
      .where("account", "=", normalizeAddress(account))
      .orderBy("epoch")
      .orderBy("tree")
      .execute();
    return rows.map(toReward);
  }

  /** Every reward of an epoch, by account. */
  async listForEpoch(epoch: number): Promise<Reward[]> {
    const rows = await this.#db
      .selectFrom("rewards")
      .selectAll()
      .where("epoch", "=", epoch)
      .orderBy("account")
      .orderBy("tree")
      .execute();
    return rows.map(toReward);
  }
}
