import { devAccounts, grantOperator as grantOperatorRole, type LocalChain } from "@flock/chain";
import type { Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";

/**
 * Dev account 0, the local network's admin: an operator on the recording chain gateway and on a fresh local
 * chain (TaskStaking grants its admin OPERATOR_ROLE), so a task it creates with a weight and no pool opens at
 * once (SPEC §3). Tests about something other than funding create their tasks with it.
 */
export const operatorAccount = privateKeyToAccount(devAccounts(1)[0]!.privateKey);

/** The local chain's admin grants `account` TaskStaking's OPERATOR_ROLE (as a network's admin would). */
export async function grantOperator(chain: LocalChain, account: Address): Promise<void> {
  await grantOperatorRole(chain.clientFor(chain.roles.admin), { account });
}
