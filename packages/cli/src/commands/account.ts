import { getBalances, getLock, readEvents } from "@flock/chain";
import { ConfigError, formatFlock } from "@flock/core";
import type { Address } from "viem";
import type { CommandContext } from "../context.ts";
import { addressOf, keyFor, readKeys, resolveAccount, writeKeys } from "../keys.ts";
import { participant } from "../network/participant.ts";
import { table } from "../output.ts";

/** `flock whoami`: the account participant commands act as when `--account` is not given. */
export async function runWhoami(ctx: CommandContext, options: { account?: string }) {
  const name = resolveAccount(ctx.home, options.account);
  const address = addressOf(keyFor(ctx.home, name));
  const keys = readKeys(ctx.home);
  const result = {
    account: name,
    address,
    isDefault: keys.default === name,
    accounts: Object.keys(keys.accounts),
  };
  ctx.output.result(result, () => [
    `${name} ${address}${result.isDefault ? " (the default account of this home)" : ""}`,
    `keys of this home: ${result.accounts.join(", ")}; change the default with \`flock use <name>\``,
  ]);
}

/** `flock use <name>`: make a key of the home the default account of every participant command. */
export async function runUse(ctx: CommandContext, name: string) {
  const keys = readKeys(ctx.home);
  if (keys.accounts[name] === undefined) {
    throw new ConfigError("ACCOUNT_UNKNOWN", `there is no key named "${name}" in ${ctx.home.keysFile}`, {
      hint:
        Object.keys(keys.accounts).length === 0
          ? "start a local network with `flock up` or `flock join <api-url> --dev-keys` first"
          : `use one of ${Object.keys(keys.accounts).join(", ")}`,
    });
  }
  writeKeys(ctx.home, {}, name);
  const address = addressOf(keys.accounts[name]);
  ctx.output.result({ account: name, address }, () => `${name} (${address}) is now the default account`);
}

/** `flock locks`: an account's gmFLOCK locks (from the chain's Locked events), with what each can back. */
export async function runLocks(ctx: CommandContext, options: { account?: string }) {
  const me = participant(ctx.home, options.account);
  const ids: bigint[] = [];
  for await (const event of readEvents(me.chain, { fromBlock: me.deploymentBlock, kinds: ["locked"] })) {
    if (event.kind === "locked" && event.args.owner.toLowerCase() === me.address) ids.push(event.args.lockId);
  }
  const locks: ({ lockId: bigint } & Awaited<ReturnType<typeof getLock>>)[] = [];
  for (const lockId of ids) locks.push({ lockId, ...(await getLock(me.chain, { lockId })) });
  const balances = await getBalances(me.chain, { account: me.address as Address });
  ctx.output.result({ account: me.address, gmFlockInWallet: balances.gmFlock, locks }, () =>
    locks.length === 0
      ? `${me.name} (${me.address}) has no lock; make one with \`flock lock <amount> --days 365\``
      : [
          `locks of ${me.name} (${me.address}); ${formatFlock(balances.gmFlock)} gmFLOCK in the wallet to stake`,
          table(
            ["lock", "FLOCK", "gmFLOCK minted", "days", "unlocks", "state"],
            locks.map((l) => [
              String(l.lockId),
              formatFlock(l.amount),
              formatFlock(l.gmAmount),
              String(l.durationDays),
              new Date(Number(l.unlockTime) * 1000).toISOString().slice(0, 10),
              l.unlocked ? "unlocked" : "locked",
            ]),
          ),
          "a stake backed by a lock may total up to the gmFLOCK that lock minted: `flock stake <task> <amount> --role trainer --lock <id>`",
        ],
  );
}
