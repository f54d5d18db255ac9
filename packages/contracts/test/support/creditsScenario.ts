/**
 * The usage-credit scenario: deposits, a sponsored deposit, a withdrawal request and withdrawal, and usage
 * collections of 1, 10 and 100 accounts. `npm run gas` reports the gas of each from its receipts.
 */
import { type Hex, keccak256, slice, type TransactionReceipt, toHex } from "viem";
import { confirm } from "./deploy.ts";
import { DAY, type Fixture, FLOCK, increaseTime } from "./fixture.ts";

export const creditGasActions = [
  "deposit",
  "depositFor",
  "requestWithdrawal",
  "withdraw",
  "collect (1 account)",
  "collect (10 accounts)",
  "collect (100 accounts)",
] as const;

export type CreditGasAction = (typeof creditGasActions)[number];

/** `n` distinct consumer addresses (no keys: they only hold credit sponsored by alice). */
export function consumerAddresses(n: number): Hex[] {
  return Array.from({ length: n }, (_, i) => slice(keccak256(toHex(`consumer ${i}`)), 12));
}

/** Runs the scenario on a funded fixture and returns the receipt of each measured action. */
export async function runCreditsScenario(fx: Fixture): Promise<Record<CreditGasAction, TransactionReceipt>> {
  const { net, flock } = fx;
  const { alice, bob, coordinator } = fx.wallets;
  const receipts: Partial<Record<CreditGasAction, TransactionReceipt>> = {};
  const consumers = consumerAddresses(100);
  const each = 10n * FLOCK;

  // alice deposits for herself (a first deposit: a fresh balance slot), bob sponsors alice's balance
  await confirm(
    net,
    flock.as(alice).flockToken.write.approve([flock.addresses.UsageCredits, 2_000n * FLOCK]),
  );
  receipts.deposit = await confirm(net, flock.as(alice).usageCredits.write.deposit([100n * FLOCK]));
  await confirm(net, flock.as(bob).flockToken.write.approve([flock.addresses.UsageCredits, 50n * FLOCK]));
  receipts.depositFor = await confirm(
    net,
    flock.as(bob).usageCredits.write.depositFor([alice.account.address, 50n * FLOCK]),
  );
  for (const consumer of consumers) {
    await confirm(net, flock.as(alice).usageCredits.write.depositFor([consumer, each]));
  }

  // each collection charges part of every balance, as an epoch of metered usage does
  const collector = flock.as(coordinator).usageCredits;
  const charge = (n: number) => [consumers.slice(0, n), consumers.slice(0, n).map(() => FLOCK)] as const;
  receipts["collect (1 account)"] = await confirm(net, collector.write.collect([1n, ...charge(1)]));
  receipts["collect (10 accounts)"] = await confirm(net, collector.write.collect([2n, ...charge(10)]));
  receipts["collect (100 accounts)"] = await confirm(net, collector.write.collect([3n, ...charge(100)]));

  receipts.requestWithdrawal = await confirm(
    net,
    flock.as(alice).usageCredits.write.requestWithdrawal([60n * FLOCK]),
  );
  await increaseTime(net, 2n * DAY);
  receipts.withdraw = await confirm(net, flock.as(alice).usageCredits.write.withdraw());
  return receipts as Record<CreditGasAction, TransactionReceipt>;
}
