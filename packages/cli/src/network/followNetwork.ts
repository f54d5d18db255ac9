import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseManifest, writeManifest } from "@flock/chain";
import { ChainError, ConfigError } from "@flock/core";
import { createFlockClient } from "@flock/sdk";
import type { CommandContext } from "../context.ts";
import { type NetworkInfo, readNetworkInfo, writeNetworkInfo } from "./networkFile.ts";

const PROBE_TIMEOUT_MS = 4000;

/** Whether a JSON-RPC node answers `eth_chainId` at `rpcUrl` within a few seconds. */
async function chainAnswers(rpcUrl: string): Promise<boolean> {
  try {
    const response = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    return response.ok;
  } catch {
    return false;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Before a command talks to the home's network, make sure the home still knows where that network is.
 *
 * A joined home (`flock join`, no process of its own) was given the chain's RPC URL once; a network that
 * restarts may serve its chain elsewhere (a port taken meanwhile, another machine). When the chain does not
 * answer, the coordinator's `GET /network` says where it is now: the home's `network.json` (and deployment
 * manifest) follow it and the command goes on. When the coordinator does not answer either, the network is
 * down or moved, and only its operator knows the new URL: the error says to join again. A home that runs
 * its own network and whose `flock up` died says to start it again.
 */
export async function followNetwork(ctx: CommandContext): Promise<void> {
  const { home } = ctx;
  if (!existsSync(home.networkFile)) return;
  const info = readNetworkInfo(home);
  if (info.pid !== 0) {
    if (processAlive(info.pid)) return;
    throw new ConfigError(
      "NETWORK_NOT_RUNNING",
      `the network of the home ${home.root} stopped (its \`flock up\`, process ${info.pid}, is gone)`,
      {
        hint: `start it again with \`flock up --home ${home.root}\`: it resumes the same chain and database`,
      },
    );
  }
  if (await chainAnswers(info.rpcUrl)) return;

  const api = createFlockClient({
    baseUrl: info.apiUrl,
    fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) }),
  });
  let described: Awaited<ReturnType<typeof api.network>>;
  try {
    described = await api.network();
  } catch (cause) {
    throw new ChainError(
      "NETWORK_UNREACHABLE",
      `neither the chain at ${info.rpcUrl} nor the coordinator at ${info.apiUrl} answers`,
      {
        hint: `the network this home joined is down or has moved; once it runs again, join it anew with \`flock --home ${home.root} join <its API URL>\` (it was ${info.apiUrl})`,
        details: { rpcUrl: info.rpcUrl, apiUrl: info.apiUrl },
        cause,
      },
    );
  }
  if (described.rpcUrl === info.rpcUrl) {
    throw new ChainError(
      "CHAIN_UNREACHABLE",
      `the chain at ${info.rpcUrl} does not answer, though the coordinator at ${info.apiUrl} does and still names it`,
      {
        hint: "the network's chain is down while its coordinator runs: try again in a moment, or tell the network's operator",
        details: { rpcUrl: info.rpcUrl, apiUrl: info.apiUrl },
      },
    );
  }
  const manifest = parseManifest(described.deployment, `${info.apiUrl}/network`);
  if (manifest.chainId !== described.chainId) {
    throw new ConfigError("NETWORK_INCONSISTENT", "the coordinator's chain id and deployment disagree", {
      hint: "the coordinator is misconfigured; tell its operator",
      details: { chainId: described.chainId, manifestChainId: manifest.chainId },
    });
  }
  const deploymentFile = join(home.chainDir, "deployment.json");
  writeManifest(deploymentFile, manifest);
  const next: NetworkInfo = {
    ...info,
    rpcUrl: described.rpcUrl,
    chainId: described.chainId,
    deploymentFile,
  };
  writeNetworkInfo(home, next);
  ctx.output.note(
    `the network's chain moved from ${info.rpcUrl} to ${described.rpcUrl} (${info.apiUrl}/network says so); this home follows it`,
  );
}
