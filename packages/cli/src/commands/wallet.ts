import { approve, delegate, getBalances, getLock, getStake, lockFlock, setSigma, stake } from "@flock/chain";
import { FlockError, formatFlock, NotFoundError, parseFlock, ValidationError } from "@flock/core";
import type { Address } from "viem";
import type { CommandContext } from "../context.ts";
import { addressOf, keyFor } from "../keys.ts";
import { participant } from "../network/participant.ts";

/** `flock lock <amount> --days d`: lock FLOCK for gmFLOCK (SPEC §3: ≈3.01× at 365 days). */
export async function runLock(
  ctx: CommandContext,
  amountText: string,
  options: { days: string; account?: string },
) {
  const amount = parseFlock(amountText);
  const days = parseInteger(options.days, "--days");
  const me = participant(ctx.home, options.account);
  await approve(me.chain, { token: "FLOCK", spender: "GmFlock", amount });
  const lock = await lockFlock(me.chain, { amount, days });
  ctx.output.result(
    { account: me.address, ...lock },
    () =>
      `locked ${formatFlock(amount)} FLOCK for ${days} days: lock #${lock.lockId}, ${formatFlock(lock.gmAmount)} gmFLOCK`,
  );
}

/** `flock stake <task> <amount> --role r --lock id`: stake gmFLOCK on a task as trainer or validator. */
export async function runStake(
  ctx: CommandContext,
  taskText: string,
  amountText: string,
  options: { role: string; lock: string; account?: string },
) {
  if (options.role !== "trainer" && options.role !== "validator") {
    throw new ValidationError("ROLE_UNKNOWN", `role "${options.role}" is neither trainer nor validator`, {
      hint: "pass --role trainer or --role validator",
    });
  }
  const taskNumber = parseInteger(taskText, "task");
  const taskId = BigInt(taskNumber);
  const lockId = BigInt(parseInteger(options.lock, "--lock"));
  const amount = parseFlock(amountText);
  const me = participant(ctx.home, options.account);
  // Checked here first so a refusal names the command that fixes it, not the contract's revert.
  const task = await me.api.tasks.get(taskNumber).catch((error: unknown) => {
    if (!(error instanceof NotFoundError)) throw error;
    throw new NotFoundError("TASK_NOT_FOUND", `there is no task ${taskNumber} on this network`, {
      hint: "list the tasks with `flock task list --status open`",
      cause: error,
    });
  });
  if (task.status !== "open") {
    throw new ValidationError("TASK_NOT_OPEN", `task ${taskNumber} is ${task.status}: staking is closed`, {
      hint: "stake on an open task; list them with `flock task list --status open`",
      details: { taskId: taskNumber, status: task.status },
    });
  }
  const lock = await getLock(me.chain, { lockId }).catch((error: unknown) => {
    if (!(error instanceof FlockError) || error.code !== "LOCK_NOT_FOUND") throw error;
    throw new NotFoundError("LOCK_NOT_FOUND", `there is no lock ${lockId}`, {
      hint: `see the locks of ${me.name} with \`flock locks --account ${me.name}\`, or make one with \`flock lock <amount>\``,
      cause: error,
    });
  });
  if (lock.owner.toLowerCase() !== me.address) {
    throw new ValidationError(
      "LOCK_NOT_YOURS",
      `lock ${lockId} belongs to ${lock.owner}, not to ${me.name} (${me.address})`,
      {
        hint: `stake with one of ${me.name}'s own locks (\`flock locks --account ${me.name}\`), or pass --account with the lock's owner`,
      },
    );
  }
  const before = await getStake(me.chain, { taskId, account: me.address as Address });
  await approve(me.chain, { token: "gmFLOCK", spender: "TaskStaking", amount });
  const result = await stake(me.chain, { taskId, role: options.role, amount, lockId });
  const added = before.amount > 0n;
  ctx.output.result(
    { account: me.address, taskId, role: options.role, amount, previousStake: before.amount, ...result },
    () =>
      added
        ? `added ${formatFlock(amount)} gmFLOCK to your ${formatFlock(before.amount)} at stake on task ${taskId} as ${options.role}: ${formatFlock(result.totalStake)} in all`
        : `staked ${formatFlock(amount)} gmFLOCK on task ${taskId} as ${options.role}`,
  );
}

/** `flock delegate <participant> <amount>`: delegate gmFLOCK to a participant's pool. */
export async function runDelegate(
  ctx: CommandContext,
  to: string,
  amountText: string,
  options: { account?: string },
) {
  const amount = parseFlock(amountText);
  const target = (/^0x[0-9a-fA-F]{40}$/.test(to) ? to : addressOf(keyFor(ctx.home, to))) as Address;
  const me = participant(ctx.home, options.account);
  await approve(me.chain, { token: "gmFLOCK", spender: "DelegationPools", amount });
  const result = await delegate(me.chain, { participant: target, amount });
  ctx.output.result(
    { account: me.address, participant: target, amount, ...result },
    () => `delegated ${formatFlock(amount)} gmFLOCK to ${target}`,
  );
}

/** `flock pool <sigma-bps>`: open the account's delegation pool or change its σ (SPEC §3 delegation). */
export async function runPool(ctx: CommandContext, sigmaText: string, options: { account?: string }) {
  const sigmaBps = parseInteger(sigmaText, "sigma-bps");
  const me = participant(ctx.home, options.account);
  const result = await setSigma(me.chain, { sigmaBps });
  ctx.output.result(
    { account: me.address, sigmaBps, ...result },
    () => `${me.address} keeps σ = ${sigmaBps / 100}% of the gain delegated stake brings; its pool is open`,
  );
}

/** `flock balance [account]`: ETH, FLOCK and gmFLOCK of an account. */
export async function runBalance(
  ctx: CommandContext,
  who: string | undefined,
  options: { account?: string },
) {
  const me = participant(ctx.home, options.account);
  const account = (
    who === undefined ? me.address : /^0x[0-9a-fA-F]{40}$/.test(who) ? who : addressOf(keyFor(ctx.home, who))
  ) as Address;
  const balances = await getBalances(me.chain, { account });
  ctx.output.result({ account, ...balances }, () => [
    `account  ${account}`,
    `FLOCK    ${formatFlock(balances.flock)}`,
    `gmFLOCK  ${formatFlock(balances.gmFlock)}`,
    `ETH      ${formatFlock(balances.eth)}`,
  ]);
}

/** A non-negative integer argument, or a usage error naming it. */
export function parseInteger(text: string, name: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) {
    throw new ValidationError(
      "ARGUMENT_NOT_INTEGER",
      `${name} must be a non-negative integer, got "${text}"`,
      {
        hint: `pass ${name} as a whole number such as 7`,
      },
    );
  }
  return value;
}
