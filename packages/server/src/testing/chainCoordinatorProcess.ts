import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { Hex } from "viem";
import type { ServerConfig } from "../deps.ts";
import type { CrashPoint } from "./crashPoints.ts";

/** A coordinator over a real chain in its own process (`chainCoordinator.ts`). */
export interface ChainCoordinatorProcess {
  /** Null when the process died before it listened (a crash point reached during start). */
  url: string | null;
  child: ChildProcessWithoutNullStreams;
  /** Resolves with the signal that ended the process (`SIGKILL` at a crash point), or null on a clean exit. */
  exited: Promise<NodeJS.Signals | null>;
  /** Close stdin and wait for a clean exit. */
  stop(): Promise<void>;
}

export interface ChainCoordinatorOptions {
  dataDir: string;
  rpcUrl: string;
  deployment: string;
  coordinatorKey: Hex;
  disputeWindowSec?: number;
  crashAfter?: CrashPoint;
  config?: Partial<ServerConfig>;
}

const SCRIPT = fileURLToPath(new URL("./chainCoordinator.ts", import.meta.url));

/** Start a coordinator process; resolves once it listens (or has died trying). */
export async function startChainCoordinator(
  options: ChainCoordinatorOptions,
): Promise<ChainCoordinatorProcess> {
  const child = spawn(process.execPath, [SCRIPT, JSON.stringify(options)], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
    if (process.env.FLOCK_TEST_VERBOSE !== undefined) process.stderr.write(chunk);
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once("exit", (code, signal) => {
      if (signal === null && code !== 0) process.stderr.write(`coordinator exited ${code}:\n${stderr}`);
      resolve(signal);
    }),
  );
  const url = await new Promise<string | null>((resolve) => {
    createInterface({ input: child.stdout }).once("line", (line) => {
      resolve((JSON.parse(line) as { url: string }).url);
    });
    void exited.then(() => resolve(null));
  });
  return {
    url,
    child,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin.end();
      await exited;
    },
  };
}
