import {
  type Chain,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  type PrivateKeyAccount,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { FlockAddresses } from "./manifest.ts";

/** Read access to a Flock deployment. */
export interface FlockReader {
  publicClient: PublicClient<Transport, Chain>;
  addresses: FlockAddresses;
}

/** An account that signs transactions on some chain. */
export interface FlockSigner {
  publicClient: PublicClient<Transport, Chain>;
  walletClient: WalletClient<Transport, Chain, PrivateKeyAccount>;
  account: PrivateKeyAccount;
}

/** Read and write access to a Flock deployment as one account: what every action takes. */
export type FlockClient = FlockReader & FlockSigner;

/** Where the chain is. */
export interface ChainEndpoint {
  rpcUrl: string;
  chainId: number;
  /** How often to poll for receipts; keep it low on a local chain, where blocks are mined at once. */
  pollingIntervalMs?: number;
}

function chainOf(endpoint: ChainEndpoint): Chain {
  return defineChain({
    id: endpoint.chainId,
    name: `flock-${endpoint.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [endpoint.rpcUrl] } },
  });
}

/** A public client for an endpoint. */
export function createChainPublicClient(endpoint: ChainEndpoint): PublicClient<Transport, Chain> {
  return createPublicClient({
    chain: chainOf(endpoint),
    transport: http(endpoint.rpcUrl, { retryCount: 2 }),
    pollingInterval: endpoint.pollingIntervalMs ?? 1000,
  });
}

/** A signer for one private key on an endpoint. */
export function createFlockSigner(endpoint: ChainEndpoint & { privateKey: Hex }): FlockSigner {
  const account = privateKeyToAccount(endpoint.privateKey);
  const publicClient = createChainPublicClient(endpoint);
  const walletClient = createWalletClient({
    account,
    chain: chainOf(endpoint),
    transport: http(endpoint.rpcUrl, { retryCount: 0 }),
    pollingInterval: endpoint.pollingIntervalMs ?? 1000,
  });
  return { publicClient, walletClient, account };
}

/** Read-only access to a deployment. */
export function createFlockReader(endpoint: ChainEndpoint & { addresses: FlockAddresses }): FlockReader {
  return { publicClient: createChainPublicClient(endpoint), addresses: endpoint.addresses };
}

/** Read and write access to a deployment as the account of `privateKey`. */
export function createFlockClient(
  endpoint: ChainEndpoint & { addresses: FlockAddresses; privateKey: Hex },
): FlockClient {
  return { ...createFlockSigner(endpoint), addresses: endpoint.addresses };
}
