import { readFileSync } from "node:fs";
import {
  type FlockClient as ChainClient,
  createFlockClient as createChainClient,
  getStake,
  manifestAddresses,
  parseManifest,
} from "@flock/chain";
import { sdkCoordinator } from "@flock/node";
import { createFlockClient, type FlockClient } from "@flock/sdk";
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { FlockHome } from "../home.ts";
import { addressOf, keyFor, resolveAccount } from "../keys.ts";
import { type NetworkInfo, readNetworkInfo } from "./networkFile.ts";

/** One participant acting on a network: its key, a chain client, the SDK client and the daemons' port. */
export interface Participant {
  name: string;
  key: Hex;
  address: string;
  network: NetworkInfo;
  /** Block the contracts were deployed in: where event reads start. */
  deploymentBlock: bigint;
  chain: ChainClient;
  api: FlockClient;
  coordinator: ReturnType<typeof sdkCoordinator>;
}

/**
 * The participant `account` (a key name of the home or a 0x key; the home's default account when undefined)
 * on the home's running network.
 */
export function participant(
  home: FlockHome,
  accountOption: string | undefined,
  network: NetworkInfo = readNetworkInfo(home),
): Participant {
  const account = resolveAccount(home, accountOption);
  const key = keyFor(home, account);
  const address = addressOf(key);
  const manifest = parseManifest(
    JSON.parse(readFileSync(network.deploymentFile, "utf8")),
    network.deploymentFile,
  );
  const chain = createChainClient({
    rpcUrl: network.rpcUrl,
    chainId: network.chainId,
    addresses: manifestAddresses(manifest),
    privateKey: key,
    pollingIntervalMs: 50,
  });
  const api = createFlockClient({
    baseUrl: network.apiUrl,
    account: privateKeyToAccount(key),
    chainId: network.chainId,
  });
  const coordinator = sdkCoordinator(api, {
    account: address,
    stakeRole: async (taskId) =>
      (await getStake(chain, { taskId: BigInt(taskId), account: address as `0x${string}` })).role,
  });
  return {
    name: account,
    key,
    address,
    network,
    deploymentBlock: BigInt(manifest.blockNumber),
    chain,
    api,
    coordinator,
  };
}
