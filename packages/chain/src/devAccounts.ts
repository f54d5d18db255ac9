import { type Address, type Hex, toHex } from "viem";
import { mnemonicToAccount } from "viem/accounts";

/**
 * The well-known Hardhat/anvil development mnemonic. Its keys are public: use it only on a local chain.
 * Fixing it (and the deployment order) makes every fresh local chain deploy to the same addresses.
 */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";

/** Number of funded dev accounts a local chain starts with. */
export const DEV_ACCOUNT_COUNT = 10;

/** A funded development account of the local chain. */
export interface DevAccount {
  index: number;
  address: Address;
  privateKey: Hex;
}

/** The first `count` accounts of the dev mnemonic, with their private keys (BIP-44 path m/44'/60'/0'/0/i). */
export function devAccounts(count: number = DEV_ACCOUNT_COUNT): DevAccount[] {
  const accounts: DevAccount[] = [];
  for (let index = 0; index < count; index++) {
    const account = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: index });
    const key = account.getHdKey().privateKey;
    if (key === null) throw new Error(`dev account ${index} has no private key`);
    accounts.push({ index, address: account.address, privateKey: toHex(key) });
  }
  return accounts;
}
