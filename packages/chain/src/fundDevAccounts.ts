import { emissionAbi } from "@flock/contracts";
import type { Address } from "viem";
import { mintEmission } from "./actions/mintEmission.ts";
import { transferFlock } from "./actions/transferFlock.ts";
import { type ChainEndpoint, createFlockClient, type FlockClient } from "./client.ts";
import type { DevAccount } from "./devAccounts.ts";
import { type DeploymentManifest, manifestAddresses } from "./manifest.ts";
import { submit } from "./submit.ts";

/** Parameters of fundDevAccounts. */
export interface FundDevAccountsParameters {
  endpoint: ChainEndpoint;
  manifest: DeploymentManifest;
  roles: { admin: DevAccount; coordinator: DevAccount; treasury: DevAccount };
  /** Accounts that receive FLOCK: every dev account that holds no role. */
  accounts: readonly DevAccount[];
}

async function setEmissionRecipient(admin: FlockClient, recipient: Address): Promise<void> {
  await submit(admin, "set the emission recipient", async () => {
    const { request } = await admin.publicClient.simulateContract({
      account: admin.account,
      address: admin.addresses.Emission,
      abi: emissionAbi,
      functionName: "setRecipient",
      args: [recipient],
    });
    return admin.walletClient.writeContract(request);
  });
}

/**
 * Gives the dev participants FLOCK on a fresh local chain. FLOCK exists only through emission (no premint),
 * so the first daily mint is sent to the treasury instead of the reward distributor (the admin switches
 * the recipient for that one mint), the treasury hands E0/10 to each participant account and sends the
 * rest of that mint to the RewardDistributor, where emission would have put it: with the 7 participants of
 * the 10 dev accounts, the reward pool starts with 3·E0/10 unallocated FLOCK for the first epochs. Later
 * mints go to the reward distributor as on any other chain; the next one is allowed 12 hours later.
 */
export async function fundDevAccounts(parameters: FundDevAccountsParameters): Promise<void> {
  const { endpoint, manifest, roles } = parameters;
  const addresses = manifestAddresses(manifest);
  const as = (account: DevAccount): FlockClient =>
    createFlockClient({ ...endpoint, addresses, privateKey: account.privateKey });
  const admin = as(roles.admin);
  const treasury = as(roles.treasury);
  const roleHolders = new Set([roles.admin.address, roles.coordinator.address, roles.treasury.address]);
  const participants = parameters.accounts.filter((a) => !roleHolders.has(a.address));

  await setEmissionRecipient(admin, roles.treasury.address);
  const minted = await mintEmission(as(roles.coordinator));
  await setEmissionRecipient(admin, addresses.RewardDistributor);
  const share = minted.amount / 10n;
  for (const participant of participants) {
    await transferFlock(treasury, { to: participant.address, amount: share });
  }
  const rest = minted.amount - share * BigInt(participants.length);
  if (rest > 0n) await transferFlock(treasury, { to: addresses.RewardDistributor, amount: rest });
}
