import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { ConfigError } from "@flock/core";
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { FlockHome } from "./home.ts";

/**
 * Names for the local chain's dev accounts (public test keys, local use only). Accounts 0–2 hold the
 * network's roles; 3–9 are participants funded with FLOCK at the chain's first start.
 */
export const DEV_ACCOUNT_NAMES = [
  "admin",
  "coordinator",
  "treasury",
  "ada",
  "bo",
  "cy",
  "di",
  "ed",
  "flo",
  "gus",
] as const;

export interface KeyFile {
  accounts: Record<string, Hex>;
}

/** Read the home's named keys (an empty set when the file does not exist yet). */
export function readKeys(home: FlockHome): KeyFile {
  if (!existsSync(home.keysFile)) return { accounts: {} };
  return JSON.parse(readFileSync(home.keysFile, "utf8")) as KeyFile;
}

/** Add or replace named keys; the file is readable by its owner only. */
export function writeKeys(home: FlockHome, accounts: Record<string, Hex>): void {
  const current = readKeys(home);
  writeFileSync(
    home.keysFile,
    `${JSON.stringify({ accounts: { ...current.accounts, ...accounts } }, null, 2)}\n`,
    {
      mode: 0o600,
    },
  );
}

/** Record the local chain's dev keys under their names (admin, coordinator, treasury, ada, …). */
export function writeDevKeys(home: FlockHome, accounts: readonly { index: number; privateKey: Hex }[]): void {
  writeKeys(
    home,
    Object.fromEntries(accounts.map((a) => [DEV_ACCOUNT_NAMES[a.index] ?? `dev${a.index}`, a.privateKey])),
  );
}

/** The private key for an account name, or a 0x key given directly. */
export function keyFor(home: FlockHome, nameOrKey: string): Hex {
  if (/^0x[0-9a-fA-F]{64}$/.test(nameOrKey)) return nameOrKey as Hex;
  const key = readKeys(home).accounts[nameOrKey];
  if (key === undefined) {
    const known = Object.keys(readKeys(home).accounts);
    throw new ConfigError("ACCOUNT_UNKNOWN", `there is no key named "${nameOrKey}" in ${home.keysFile}`, {
      hint:
        known.length === 0
          ? "start a local network with `flock up` (it writes the dev keys) or pass --account 0x<private key>"
          : `use one of ${known.join(", ")} or pass --account 0x<private key>`,
    });
  }
  return key;
}

/** The lowercase address of a key. */
export function addressOf(key: Hex): string {
  return privateKeyToAccount(key).address.toLowerCase();
}
