/**
 * A coordinator in its own process for client tests (the SDK's suite spawns it): PGlite and an artifact
 * folder in a temp data folder, a recording chain gateway, the real clock, listening on 127.0.0.1.
 * Prints `{"url": …}` on its first stdout line, then takes one JSON command per stdin line:
 *   {"op":"stake","taskId":1,"account":"0x…","role":"trainer","amount":"3000…"}  (the stake index, as the
 *   indexer would write it from chain events) → {"ok":true}
 * It shuts down and deletes its folder when stdin closes, so it never outlives the test that started it.
 * With `"dataDir"` in the options it uses (and keeps) that folder instead: crash tests restart on it. With
 * `"artifacts"` (a folder or an `s3://` URL) artifacts go there instead of the data folder.
 * Run: node packages/server/src/testing/testServer.ts '{"validatorsPerSubmission":1}'
 */
import { createInterface } from "node:readline";
import type { ServerConfig } from "../deps.ts";
import { startTestApp } from "./testApp.ts";

const { dataDir, artifacts, ...overrides } = JSON.parse(process.argv[2] ?? "{}") as Partial<
  Record<keyof ServerConfig, unknown>
> & { dataDir?: string; artifacts?: string };
const config: Partial<ServerConfig> = { schedulerPollMs: 100, eventPollMs: 100 };
for (const [key, value] of Object.entries(overrides)) (config as Record<string, unknown>)[key] = value;
const t = await startTestApp({
  config,
  ...(dataDir === undefined ? {} : { dataDir }),
  ...(artifacts === undefined ? {} : { artifacts }),
});
t.app.start();
const url = await t.app.http.listen({ host: "127.0.0.1", port: 0 });
process.stdout.write(`${JSON.stringify({ url })}\n`);

// Positions only need to increase, also across restarts of a crash test.
let block = Date.now();
const lines = createInterface({ input: process.stdin });
lines.on("line", async (line) => {
  try {
    const command = JSON.parse(line) as {
      op: string;
      taskId: number;
      account: string;
      role: "trainer" | "validator";
      amount: string;
    };
    if (command.op !== "stake") throw new Error(`unknown op ${command.op}`);
    await t.repos.stakes.applyEvent({
      taskId: command.taskId,
      account: command.account,
      role: command.role,
      amount: BigInt(command.amount),
      blockNumber: block++,
      logIndex: 0,
    });
    process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ ok: false, error: String(error) })}\n`);
  }
});
lines.on("close", async () => {
  await (dataDir === undefined ? t.dispose() : t.close());
  process.exit(0);
});
