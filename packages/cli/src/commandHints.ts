import type { FlockError } from "@flock/core";

/**
 * Hints in terms of `flock` commands for errors whose own hint speaks of library functions (the chain
 * package explains reverts for programs calling `lockFlock`, `getBalances`, …; a CLI user needs the command).
 */
const COMMAND_HINTS: Readonly<Record<string, string>> = {
  INSUFFICIENT_BALANCE:
    "check the account with `flock balance`; gmFLOCK at stake or delegated is not in the wallet, and `flock lock <amount>` turns FLOCK into gmFLOCK",
  LOCK_NOT_FOUND: "list your locks with `flock locks`, or make one with `flock lock <amount> --days 365`",
  NOT_LOCK_OWNER: "use one of your own locks (`flock locks`), or pass --account with the lock's owner",
  LOCK_TOO_SMALL_FOR_STAKE:
    "back the stake with a lock that minted enough gmFLOCK (`flock locks`; `flock lock <amount>` makes one), or stake less",
  GMFLOCK_SHORTFALL:
    "withdraw staked and delegated gmFLOCK first (it must be back in the wallet to unlock); see `flock balance`",
  POOL_NOT_OPEN: "the participant opens its pool first with `flock pool <sigma-bps> --account <name>`",
  REWARD_POOL_EMPTY:
    "the coordinator mints the daily emission into the reward pool when it is due; run `flock claim` again later",
};

/** The hint to show for an error: the command-level one when the error's own names a library function. */
export function commandHint(error: FlockError): string | undefined {
  return COMMAND_HINTS[error.code] ?? error.hint;
}
