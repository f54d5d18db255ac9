import { toAmount } from "@flock/core";
import { type Kysely, type Selectable, sql } from "kysely";
import { guard } from "./dbErrors.ts";
import type { ChainSlashesTable, Database } from "./schema.ts";
import { checkChainPosition } from "./stakes.ts";
import { amountText, normalizeAddress } from "./values.ts";

/** A pool's σ as a SigmaSet event set it. */
export interface PoolSigmaEvent {
  participant: string;
  sigmaBps: number;
  blockNumber: number;
  logIndex: number;
}

/** A slash executed on-chain, as its Slashed event records it. */
export interface ChainSlash {
  evidenceHash: `0x${string}`;
  taskId: number;
  account: string;
  prover: string;
  fractionBps: number;
  amount: bigint;
  proverShare: bigint;
  treasuryShare: bigint;
  txHash: `0x${string}`;
  blockNumber: number;
  logIndex: number;
}

function toChainSlash(row: Selectable<ChainSlashesTable>): ChainSlash {
  return {
    evidenceHash: row.evidence_hash as `0x${string}`,
    taskId: row.task_id,
    account: row.account,
    prover: row.prover,
    fractionBps: row.fraction_bps,
    amount: toAmount(row.amount, "slash amount"),
    proverShare: toAmount(row.prover_share, "prover share"),
    treasuryShare: toAmount(row.treasury_share, "treasury share"),
    txHash: row.tx_hash as `0x${string}`,
    blockNumber: row.block_number,
    logIndex: row.log_index,
  };
}

/** Pools' σ and executed slashes, indexed from the chain (the chain is the truth, these are its copy). */
export class ChainFactRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Apply a SigmaSet event; only a later (block, log index) replaces a pool's σ, so replays converge. */
  async applySigma(event: PoolSigmaEvent): Promise<void> {
    checkChainPosition(event.blockNumber, event.logIndex);
    const participant = normalizeAddress(event.participant, "participant");
    await guard({ what: `σ of ${participant}` }, () =>
      this.#db
        .insertInto("pool_sigmas")
        .values({
          participant,
          sigma_bps: event.sigmaBps,
          block_number: event.blockNumber,
          log_index: event.logIndex,
        })
        .onConflict((conflict) =>
          conflict
            .column("participant")
            .doUpdateSet((eb) => ({
              sigma_bps: eb.ref("excluded.sigma_bps"),
              block_number: eb.ref("excluded.block_number"),
              log_index: eb.ref("excluded.log_index"),
            }))
            .where(
              sql<boolean>`(pool_sigmas.block_number, pool_sigmas.log_index) < (excluded.block_number, excluded.log_index)`,
            ),
        )
        .execute(),
    );
  }

  /** Every pool's σ, by participant (lowercase). */
  async sigmas(): Promise<Map<string, number>> {
    const rows = await this.#db.selectFrom("pool_sigmas").select(["participant", "sigma_bps"]).execute();
    return new Map(rows.map((row) => [row.participant, row.sigma_bps]));
  }

  /** Record a Slashed event; recording the same evidence again is a no-op (each evidence slashes once). */
  async recordSlash(slash: ChainSlash): Promise<void> {
    checkChainPosition(slash.blockNumber, slash.logIndex);
    await guard({ what: `slash of ${slash.account}` }, () =>
      this.#db
        .insertInto("chain_slashes")
        .values({
          evidence_hash: slash.evidenceHash.toLowerCase(),
          task_id: slash.taskId,
          account: normalizeAddress(slash.account),
          prover: normalizeAddress(slash.prover, "prover"),
          fraction_bps: slash.fractionBps,
          amount: amountText(slash.amount),
          prover_share: amountText(slash.proverShare),
          treasury_share: amountText(slash.treasuryShare),
          tx_hash: slash.txHash.toLowerCase(),
          block_number: slash.blockNumber,
          log_index: slash.logIndex,
        })
        .onConflict((conflict) => conflict.column("evidence_hash").doNothing())
        .execute(),
    );
  }

  /** A task's executed slashes, in chain order. */
  async slashesOfTask(taskId: number): Promise<ChainSlash[]> {
    const rows = await this.#db
      .selectFrom("chain_slashes")
      .selectAll()
      .where("task_id", "=", taskId)
      .orderBy("block_number")
      .orderBy("log_index")
      .execute();
    return rows.map(toChainSlash);
  }
}
