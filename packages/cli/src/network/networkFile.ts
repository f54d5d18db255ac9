import { existsSync, readFileSync, rmSync } from "node:fs";
import { ConfigError } from "@flock/core";
import type { FlockHome } from "../home.ts";
import { writeHomeFile } from "../homeFiles.ts";

/** How to reach a network: written by `flock up`, read by every other command of the same home. */
export interface NetworkInfo {
  apiUrl: string;
  rpcUrl: string;
  chainId: number;
  /** Path of the chain's deployment manifest. */
  deploymentFile: string;
  /** Process running the network (0 when unknown). */
  pid: number;
}

export function writeNetworkInfo(home: FlockHome, info: NetworkInfo): void {
  writeHomeFile(home.networkFile, `${JSON.stringify(info, null, 2)}\n`);
}

export function removeNetworkInfo(home: FlockHome): void {
  rmSync(home.networkFile, { force: true });
}

/** The network of a home, or a clear error saying how to start one. */
export function readNetworkInfo(home: FlockHome): NetworkInfo {
  if (!existsSync(home.networkFile)) {
    throw new ConfigError("NETWORK_NOT_RUNNING", `no network is running for the home ${home.root}`, {
      hint: `start one in another terminal with \`flock up --home ${home.root}\`, or join a running one with \`flock join <api-url> --home ${home.root}\``,
    });
  }
  return JSON.parse(readFileSync(home.networkFile, "utf8")) as NetworkInfo;
}
