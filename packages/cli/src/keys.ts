import { existsSync, readFileSync } from "node:fs";
import { ConfigError } from "@flock/core";
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { FlockHome } from "./home.ts";
import { writeHomeFile } from "./homeFiles.ts";

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
  /** The account every participant command uses when `--account` is not given (`flock use NAME`). */
  default?: string;
}

/** The dev account that commands act as by default in a home with the dev keys. */
export const DEFAULT_DEV_ACCOUNT = "ada";

/** Read the home's named keys (an empty set when the file does not exist yet). */
export function readKeys(home: FlockHome): KeyFile {
  if (!existsSync(home.keysFile)) return { accounts: {} };
  return JSON.parse(readFileSync(home.keysFile, "utf8")) as KeyFile;
}

/** Add or replace named keys (and optionally the default); the file is readable by its owner only. */
export function writeKeys(home: FlockHome, accounts: Record<string, Hex>, defaultName?: string): void {
  const current = readKeys(home);
  const next: KeyFile = { accounts: { ...current.accounts, ...accounts } };
  const chosen = defaultName ?? current.default;
  if (chosen !== undefined) next.default = chosen;
  writeHomeFile(home.keysFile, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
}

/**
 * The account a command acts as: `--account` when given, else the home's default (`flock use NAME`; a home
 * with the dev keys starts with "ada"), else the only key of the home. One rule for every command, so
 * `lock`, `stake`, `train` and `claim` all act as the same participant unless told otherwise.
 */
export function resolveAccount(home: FlockHome, account: string | undefined): string {
  if (account !== undefined && account !== "") return account;
  const keys = readKeys(home);
  if (keys.default !== undefined) return keys.default;
  const names = Object.keys(keys.accounts);
  if (names.length === 1) return names[0]!;
  throw new ConfigError(
    "ACCOUNT_NOT_CHOSEN",
    names.length === 0
      ? `the home ${home.root} has no key yet`
      : `the home ${home.root} has ${names.length} keys and no default account`,
    {
      hint:
        names.length === 0
          ? "start a local network with `flock up` (it writes the dev keys), `flock join <api-url> --dev-keys`, or pass --account 0x<private key>"
          : `choose one with \`flock use <name>\` (one of ${names.join(", ")}) or pass --account <name>`,
    },
  );
}

/** Record the local chain's dev keys under their names (admin, coordinator, treasury, ada, …). */
export function writeDevKeys(home: FlockHome, accounts: readonly { index: number; privateKey: Hex }[]): void {
  writeKeys(
    home,
    Object.fromEntries(accounts.map((a) => [DEV_ACCOUNT_NAMES[a.index] ?? `dev${a.index}`, a.privateKey])),
    readKeys(home).default ?? DEFAULT_DEV_ACCOUNT,
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
