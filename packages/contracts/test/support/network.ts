/** An in-process Hardhat 3 (EDR) network for the contract tests, with viem clients. */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createHardhatRuntimeEnvironment } from "hardhat/hre";
import config from "../../hardhat.config.ts";

const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Starts a fresh in-process chain (20 funded accounts) and returns its viem helpers. */
export async function connectNetwork() {
  const hre = await createHardhatRuntimeEnvironment(
    config,
    { config: path.join(PACKAGE_ROOT, "hardhat.config.ts") },
    PACKAGE_ROOT,
  );
  const connection = await hre.network.connect();
  const { viem } = connection;
  const publicClient = await viem.getPublicClient();
  const testClient = await viem.getTestClient();
  const wallets = await viem.getWalletClients();
  return { connection, viem, publicClient, testClient, wallets };
}

export type Network = Awaited<ReturnType<typeof connectNetwork>>;
