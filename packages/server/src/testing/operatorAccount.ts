import { devAccounts, type LocalChain } from "@flock/chain";
import { taskStakingAbi } from "@flock/contracts";
import { type Address, keccak256, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";

/**
 * Dev account 0, the local network's admin: an operator on the recording chain gateway and on a fresh local
 * chain (TaskStaking grants its admin OPERATOR_ROLE), so a task it creates with a weight and no pool opens at
 * once (SPEC §3). Tests about something other than funding create their tasks with it.
 */
export const operatorAccount = privateKeyToAccount(devAccounts(1)[0]!.privateKey);

/** The local chain's admin grants `account` TaskStaking's OPERATOR_ROLE (as a network's admin would). */
export async function grantOperator(chain: LocalChain, account: Address): Promise<void> {
  const admin = chain.clientFor(chain.roles.admin);
  const hash = await admin.walletClient.writeContract({
    account: admin.account,
    chain: admin.walletClient.chain,
    address: chain.addresses.TaskStaking,
    abi: taskStakingAbi,
    functionName: "grantRole",
    args: [keccak256(toHex("OPERATOR_ROLE")), account],
  });
  await admin.publicClient.waitForTransactionReceipt({ hash });
}
