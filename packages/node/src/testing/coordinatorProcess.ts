import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

// The coordinator runs in its own process (PGlite, a recording chain, the real clock), reached over HTTP on
// loopback as any participant reaches it.
const SERVER = fileURLToPath(new URL("../../../server/src/testing/testServer.ts", import.meta.url));

/** A coordinator process for node tests: its URL, the stake index it is told about, and how to stop it. */
export interface CoordinatorProcess {
  url: string;
  /** Record a stake as the chain indexer would (the recording chain has no real staking). */
  indexStake(taskId: number, account: string, amount: bigint): Promise<void>;
  /** Close stdin: the coordinator shuts down (and deletes its folder unless `dataDir` was given). */
  stop(): Promise<void>;
}

/** Start `server/src/testing/testServer.ts` with config overrides (and `dataDir` to keep its folder). */
export async function startCoordinatorProcess(
  options: Record<string, unknown> = {},
): Promise<CoordinatorProcess> {
  const server = spawn(process.execPath, [SERVER, JSON.stringify(options)], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  server.stderr.on("data", (chunk) => process.stderr.write(chunk));
  const replies: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  createInterface({ input: server.stdout }).on("line", (line) => {
    const waiter = waiters.shift();
    if (waiter !== undefined) waiter(line);
    else replies.push(line);
  });
  const nextLine = () =>
    new Promise<string>((resolve) => {
      const line = replies.shift();
      if (line !== undefined) resolve(line);
      else waiters.push(resolve);
    });
  const { url } = JSON.parse(await nextLine()) as { url: string };
  return {
    url,
    async indexStake(taskId, account, amount) {
      server.stdin.write(
        `${JSON.stringify({ op: "stake", taskId, account, role: "trainer", amount: amount.toString() })}\n`,
      );
      const reply = JSON.parse(await nextLine()) as { ok: boolean; error?: string };
      if (!reply.ok) throw new Error(`stake: ${reply.error}`);
    },
    async stop() {
      if (server.exitCode !== null) return;
      const exited = new Promise((resolve) => server.once("exit", resolve));
      server.stdin.end();
      await exited;
    },
  };
}
