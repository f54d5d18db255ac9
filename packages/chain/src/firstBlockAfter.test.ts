import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { firstBlockAfter } from "./firstBlockAfter.ts";
import { type LocalChain, startLocalChain } from "./startLocalChain.ts";

let dataDir: string;
let chain: LocalChain;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "flock-block-after-"));
  chain = await startLocalChain({ dataDir });
});
afterAll(async () => {
  await chain?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("the first block after a time", () => {
  it("is null until the head passes the time, then the earliest block strictly after it, as a linear scan finds", async () => {
    const reader = chain.clientFor(chain.accounts[3]!);
    const { publicClient } = reader;
    const head = await publicClient.getBlock({ blockTag: "latest" });
    const deadline = head.timestamp + 3_600n;
    expect(await firstBlockAfter(reader, { timestamp: deadline })).toBeNull();
    expect(await firstBlockAfter(reader, { timestamp: head.timestamp })).toBeNull();
    // blocks at irregular times, some sharing a second, around the deadline
    for (const step of [600, 0, 1200, 1799, 1, 0, 5, 7200]) await chain.advanceTime(step);
    const latest = await publicClient.getBlockNumber({ cacheTime: 0 });
    const blocks = await Promise.all(
      Array.from({ length: Number(latest) + 1 }, (_, n) => publicClient.getBlock({ blockNumber: BigInt(n) })),
    );
    for (const time of [0n, head.timestamp, deadline - 1n, deadline, deadline + 1n, deadline + 4_000n]) {
      const expected = blocks.find((block) => block.timestamp > time);
      const found = await firstBlockAfter(reader, { timestamp: time });
      expect(found, `after ${time}`).toEqual(
        expected === undefined
          ? null
          : { number: expected.number, hash: expected.hash, timestamp: expected.timestamp },
      );
    }
    // a search bounded below starts there
    const bounded = await firstBlockAfter(reader, { timestamp: 0n, fromBlock: 5n });
    expect(bounded?.number).toBe(5n);
  });
});
