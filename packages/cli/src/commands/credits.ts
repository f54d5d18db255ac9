import {
  creditBalanceOf,
  depositCredits,
  getBalances,
  requestCreditWithdrawal,
  withdrawCredits,
} from "@flock/chain";
import { ChainError, formatFlock, parseFlock } from "@flock/core";
import type { Address } from "viem";
import type { CommandContext } from "../context.ts";
import { addressOf, keyFor } from "../keys.ts";
import { participant } from "../network/participant.ts";

/** "in 2 h 5 min" from seconds. */
function inWords(seconds: bigint): string {
  if (seconds <= 0n) return "now";
  const hours = seconds / 3600n;
  const minutes = ((seconds % 3600n) + 59n) / 60n;
  if (hours === 0n) return `in ${minutes} min`;
  return minutes === 0n ? `in ${hours} h` : `in ${hours} h ${minutes} min`;
}

/**
 * `flock credits deposit <amount> [--for account]`: move FLOCK from the wallet into the prepaid balance that pays
 * for Moonbase API calls (the UsageCredits contract); `--for` funds another account's balance.
 */
export async function runCreditsDeposit(
  ctx: CommandContext,
  amountText: string,
  options: { for?: string; account?: string },
) {
  const amount = parseFlock(amountText);
  if (amount === 0n) {
    throw new ChainError("AMOUNT_ZERO", "the amount to deposit is zero", {
      hint: "deposit a positive amount of FLOCK, e.g. `flock credits deposit 10`",
    });
  }
  const me = participant(ctx.home, options.account);
  const target =
    options.for === undefined
      ? undefined
      : ((/^0x[0-9a-fA-F]{40}$/.test(options.for)
          ? options.for
          : addressOf(keyFor(ctx.home, options.for))) as Address);
  const held = (await getBalances(me.chain, { account: me.address as Address })).flock;
  if (held < amount) {
    throw new ChainError(
      "INSUFFICIENT_BALANCE",
      `${me.name} holds ${formatFlock(held)} FLOCK, not enough to deposit ${formatFlock(amount)}`,
      {
        hint: `deposit at most ${formatFlock(held)} FLOCK (see \`flock balance\`), or get FLOCK first: claim rewards (\`flock claim\`) or unlock a lock`,
        details: { account: me.address, held: held.toString(), amount: amount.toString() },
      },
    );
  }
  const result = await depositCredits(me.chain, {
    amount,
    ...(target === undefined ? {} : { account: target }),
  });
  const funded = (target ?? me.address).toLowerCase();
  ctx.output.result(
    { account: funded, from: me.address, amount, ...result },
    () =>
      `deposited ${formatFlock(amount)} FLOCK into the usage credit of ${funded === me.address ? me.name : funded}: ${formatFlock(result.balance)} FLOCK on-chain`,
  );
}

/**
 * `flock credits withdraw --request <amount>` asks to withdraw after the contract's delay (0 cancels);
 * `flock credits withdraw` then pays the request once the delay has passed, and says when that is before it.
 */
export async function runCreditsWithdraw(
  ctx: CommandContext,
  options: { request?: string; account?: string },
) {
  const me = participant(ctx.home, options.account);
  if (options.request !== undefined) {
    const amount = parseFlock(options.request);
    const credit = await creditBalanceOf(me.chain, { account: me.address as Address });
    if (amount > credit.balance) {
      throw new ChainError(
        "CREDIT_INSUFFICIENT",
        `${me.name} has ${formatFlock(credit.balance)} FLOCK of usage credit, less than the ${formatFlock(amount)} asked for`,
        { hint: `request at most ${formatFlock(credit.balance)} FLOCK (see \`flock credits balance\`)` },
      );
    }
    const result = await requestCreditWithdrawal(me.chain, { amount });
    const when = new Date(Number(result.availableAt) * 1000);
    ctx.output.result({ account: me.address, ...result }, () =>
      amount === 0n
        ? "cancelled the pending withdrawal request"
        : [
            `requested a withdrawal of ${formatFlock(amount)} FLOCK of usage credit`,
            `withdraw it from ${when.toISOString()} with \`flock credits withdraw\` (the coordinator stops spending it now)`,
          ],
    );
    return;
  }
  const credit = await creditBalanceOf(me.chain, { account: me.address as Address });
  if (credit.availableAt === null) {
    throw new ChainError("CREDIT_WITHDRAWAL_NOT_REQUESTED", `${me.name} has no pending withdrawal request`, {
      hint: "request one first with `flock credits withdraw --request <amount>`, then withdraw after the delay",
    });
  }
  const chainNow = (await me.chain.publicClient.getBlock({ blockTag: "latest" })).timestamp;
  if (chainNow < credit.availableAt) {
    const when = new Date(Number(credit.availableAt) * 1000).toISOString();
    throw new ChainError(
      "CREDIT_WITHDRAWAL_NOT_READY",
      `too early: the withdrawal of ${formatFlock(credit.pendingWithdrawal)} FLOCK becomes available at ${when} (${inWords(credit.availableAt - chainNow)})`,
      {
        hint: `run \`flock credits withdraw\` again after ${when}`,
        details: { availableAt: when, pendingWithdrawal: credit.pendingWithdrawal.toString() },
      },
    );
  }
  const result = await withdrawCredits(me.chain);
  ctx.output.result(
    { account: me.address, ...result },
    () =>
      `withdrew ${formatFlock(result.amount)} FLOCK of usage credit to ${me.name}'s wallet; ${formatFlock(result.balance)} FLOCK left`,
  );
}

/**
 * `flock credits balance [account]`: the prepaid balance as the coordinator indexed it (deposited, withdrawn,
 * charged, pending withdrawal) with the on-chain balance, and what is spendable when the coordinator reports it.
 */
export async function runCreditsBalance(
  ctx: CommandContext,
  who: string | undefined,
  options: { account?: string },
) {
  const me = participant(ctx.home, options.account);
  const account =
    who === undefined ? me.address : /^0x[0-9a-fA-F]{40}$/.test(who) ? who : addressOf(keyFor(ctx.home, who));
  const credit = await me.api.credits.get(account);
  const extra = credit as unknown as Record<string, unknown>;
  ctx.output.result(credit, () => [
    `account             ${credit.account}`,
    `on-chain balance    ${formatFlock(credit.onChainBalance)} FLOCK`,
    `deposited           ${formatFlock(credit.deposited)}`,
    `withdrawn           ${formatFlock(credit.withdrawn)}`,
    `charged             ${formatFlock(credit.charged)}`,
    credit.pendingAvailableAt === null
      ? "pending withdrawal  none"
      : `pending withdrawal  ${formatFlock(credit.pendingWithdrawal)} (from ${credit.pendingAvailableAt.toISOString()})`,
    ...(typeof extra.spendable === "bigint" ? [`spendable           ${formatFlock(extra.spendable)}`] : []),
  ]);
}
