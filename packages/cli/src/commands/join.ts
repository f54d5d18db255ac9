import { existsSync } from "node:fs";
import { join } from "node:path";
import { devAccounts, parseManifest, writeManifest } from "@flock/chain";
import { ConfigError } from "@flock/core";
import { createFlockClient } from "@flock/sdk";
import type { CommandContext } from "../context.ts";
import { DEV_ACCOUNT_NAMES, writeDevKeys } from "../keys.ts";
import { readNetworkInfo, writeNetworkInfo } from "../network/networkFile.ts";

/** anvil's chain id: its dev keys are public, so only there may `--dev-keys` write them. */
const LOCAL_CHAIN_ID = 31337;

function processAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * `flock join <api-url>`: make this home a participant of a network another machine or process runs. The
 * coordinator's `GET /network` gives the chain and the contracts; every other command of the home then
 * talks to that coordinator and chain (public artifacts come over its API).
 */
export async function runJoin(ctx: CommandContext, apiUrl: string, options: { devKeys?: boolean }) {
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch (cause) {
    throw new ConfigError("API_URL_INVALID", `"${apiUrl}" is not a URL`, {
      hint: "pass the coordinator's API URL, e.g. http://127.0.0.1:8780",
      cause,
    });
  }
  if (existsSync(ctx.home.networkFile)) {
    const current = readNetworkInfo(ctx.home);
    if (processAlive(current.pid)) {
      throw new ConfigError("HOME_RUNS_NETWORK", `the home ${ctx.home.root} runs its own network`, {
        hint: "join from another home (--home DIR); this one belongs to `flock up`",
        details: { apiUrl: current.apiUrl, pid: current.pid },
      });
    }
  }
  const baseUrl = url.toString().replace(/\/$/, "");
  const described = await createFlockClient({ baseUrl }).network();
  const manifest = parseManifest(described.deployment, `${baseUrl}/network`);
  if (manifest.chainId !== described.chainId) {
    throw new ConfigError("NETWORK_INCONSISTENT", "the coordinator's chain id and deployment disagree", {
      hint: "the coordinator is misconfigured; tell its operator",
      details: { chainId: described.chainId, manifestChainId: manifest.chainId },
    });
  }
  const deploymentFile = join(ctx.home.chainDir, "deployment.json");
  writeManifest(deploymentFile, manifest);
  writeNetworkInfo(ctx.home, {
    apiUrl: baseUrl,
    rpcUrl: described.rpcUrl,
    chainId: described.chainId,
    deploymentFile,
    pid: 0,
  });
  let keys = 0;
  if (options.devKeys === true) {
    if (described.chainId !== LOCAL_CHAIN_ID) {
      throw new ConfigError("DEV_KEYS_REFUSED", `chain ${described.chainId} is not a local dev chain`, {
        hint: "dev keys are public and only for a local anvil (chain 31337); pass --account 0x<your key> instead",
      });
    }
    const accounts = devAccounts(DEV_ACCOUNT_NAMES.length);
    writeDevKeys(ctx.home, accounts);
    keys = accounts.length;
  }
  ctx.output.result(
    { apiUrl: baseUrl, rpcUrl: described.rpcUrl, chainId: described.chainId, deploymentFile, devKeys: keys },
    () =>
      `joined the network of ${baseUrl} (chain ${described.chainId} at ${described.rpcUrl})` +
      (keys > 0 ? `; wrote ${keys} dev keys` : ""),
  );
}
