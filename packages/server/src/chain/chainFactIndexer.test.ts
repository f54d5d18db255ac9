import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FlockEvent as ChainEvent } from "@flock/chain";
import { createRepositories, type FlockDatabase, openDatabase } from "@flock/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRecordingChainGateway } from "../testing/recordingChainGateway.ts";
import { CHAIN_FACTS_CURSOR, createChainFactIndexer } from "./chainFactIndexer.ts";
import type { ChainGateway } from "./chainGateway.ts";

const pool = "0x00000000000000000000000000000000000000aa";
const position = (blockNumber: bigint, logIndex = 0) => ({
  address: "0x0000000000000000000000000000000000000001" as const,
  blockNumber,
  transactionHash: `0x${blockNumber.toString(16).padStart(64, "0")}` as const,
  logIndex,
});
const sigmaSet = (sigmaBps: number, block: bigint): ChainEvent => ({
  kind: "sigmaSet",
  args: { participant: pool, sigmaBps },
  contract: "DelegationPools",
  ...position(block),
});

// Settlement reads pools' σ and executed slashes from this index, which reads each block range once.
describe("the chain fact index", () => {
  const events: ChainEvent[] = [
    sigmaSet(5000, 1n),
    {
      kind: "slashed",
      args: {
        taskId: 4n,
        account: "0x00000000000000000000000000000000000000bb",
        prover: "0x00000000000000000000000000000000000000cc",
        evidenceHash: `0x${"ee".repeat(32)}`,
        fractionBps: 5000,
        amount: 1000n,
        proverShare: 100n,
        treasuryShare: 900n,
      },
      contract: "Slashing",
      ...position(3n, 2),
    },
  ];
  const recorder = createRecordingChainGateway(31337, events);
  const ranges: [bigint, bigint][] = [];
  const chain: ChainGateway = {
    ...recorder,
    readEvents(range) {
      ranges.push([range.fromBlock, range.toBlock]);
      return recorder.readEvents(range);
    },
  };
  let dataDir: string;
  let database: FlockDatabase;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "flock-chain-facts-"));
    database = await openDatabase({ dataDir });
  });
  afterAll(async () => {
    await database.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("indexes σ and slashes up to the head, then reads only the blocks after its cursor", async () => {
    const repos = createRepositories(database.db);
    const indexer = createChainFactIndexer({ db: database.db, repos, chain });
    expect(await indexer.sync()).toBe(2);
    expect(ranges).toEqual([[0n, 3n]]);
    expect(await repos.chainCursors.get(CHAIN_FACTS_CURSOR)).toBe(3);
    expect((await repos.chainFacts.sigmas()).get(pool)).toBe(5000);
    expect(await repos.chainFacts.slashesOfTask(4)).toMatchObject([
      { amount: 1000n, proverShare: 100n, treasuryShare: 900n, txHash: position(3n).transactionHash },
    ]);

    // Nothing new: no read at all. A later σ: only the new blocks are read.
    expect(await indexer.sync()).toBe(0);
    events.push(sigmaSet(2000, 7n));
    expect(await createChainFactIndexer({ db: database.db, repos, chain }).sync()).toBe(1);
    expect(ranges).toEqual([
      [0n, 3n],
      [4n, 7n],
    ]);
    expect((await repos.chainFacts.sigmas()).get(pool)).toBe(2000);
  });
});
