import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** A coordinator running `testServer.ts` in its own process. */
export interface ServerProcess {
  url: string;
  child: ChildProcessWithoutNullStreams;
  /** Write the stake index entry, as the indexer would from a chain event. */
  stake(taskId: number, account: string, role: "trainer" | "validator", amount: bigint): Promise<void>;
  /** Close stdin and wait for a clean exit. */
  stop(): Promise<void>;
  /** SIGKILL: no shutdown code runs. */
  kill(): Promise<void>;
}

const SCRIPT = fileURLToPath(new URL("./testServer.ts", import.meta.url));

/** Start a coordinator process and wait until it listens. */
export async function startServerProcess(options: Record<string, unknown> = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, [SCRIPT, JSON.stringify(options)], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stderr.on("data", (chunk) => process.stderr.write(chunk));
  const replies: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout }).on("line", (line) => {
    const waiter = waiters.shift();
    if (waiter !== undefined) waiter(line);
    else replies.push(line);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      const line = replies.shift();
      if (line !== undefined) return resolve(line);
      waiters.push(resolve);
      void exited.then(() => reject(new Error("the coordinator process exited")));
    });
  const { url } = JSON.parse(await nextLine()) as { url: string };
  return {
    url,
    child,
    async stake(taskId, account, role, amount) {
      child.stdin.write(
        `${JSON.stringify({ op: "stake", taskId, account, role, amount: amount.toString() })}\n`,
      );
      const reply = JSON.parse(await nextLine()) as { ok: boolean; error?: string };
      if (!reply.ok) throw new Error(`stake failed: ${reply.error}`);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin.end();
      await exited;
    },
    async kill() {
      child.kill("SIGKILL");
      await exited;
    },
  };
}
