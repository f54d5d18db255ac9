import { expect, it } from "vitest";
import type { CreditEvent } from "./credits.ts";
import { account, type StoreTestContext } from "./testing/fixtures.ts";

export function creditCases(ctx: StoreTestContext): void {
  const alice = account(0xa11ce);
  const at = (blockNumber: number, logIndex = 0) => ({ blockNumber, logIndex });

  it("an account's totals follow its deposits, requests, withdrawals and charges; replays change nothing", async () => {
    const availableAt = new Date("2027-01-02T03:04:05.000Z");
    const events: CreditEvent[] = [
      { kind: "deposited", account: alice, amount: 100n, ...at(5) },
      { kind: "deposited", account: alice, amount: 50n, ...at(5, 3) },
      { kind: "withdrawalRequested", account: alice, amount: 40n, availableAt, ...at(6) },
      { kind: "charged", account: alice, amount: 30n, ...at(7) },
    ];
    for (const event of events) await ctx.repos.credits.apply(event);
    const expected = {
      account: alice,
      deposited: 150n,
      withdrawn: 0n,
      charged: 30n,
      pendingWithdrawal: 40n,
      pendingAvailableAt: availableAt,
    };
    expect(await ctx.repos.credits.get(alice)).toEqual(expected);
    // the same range indexed again (a crash before the cursor advanced): no double counting
    for (const event of events) await ctx.repos.credits.apply(event);
    expect(await ctx.repos.credits.get(alice)).toEqual(expected);

    await ctx.repos.credits.apply({ kind: "withdrawn", account: alice, amount: 40n, ...at(9) });
    expect(await ctx.repos.credits.get(alice)).toMatchObject({
      withdrawn: 40n,
      pendingWithdrawal: 0n,
      pendingAvailableAt: null,
    });
    await ctx.repos.credits.apply({
      kind: "withdrawalRequested",
      account: alice,
      amount: 10n,
      availableAt,
      ...at(10),
    });
    await ctx.repos.credits.apply({
      kind: "withdrawalRequested",
      account: alice,
      amount: 0n,
      availableAt: null,
      ...at(11),
    });
    expect(await ctx.repos.credits.get(alice)).toMatchObject({
      pendingWithdrawal: 0n,
      pendingAvailableAt: null,
    });
  });

  it("an account that never deposited reads all zero; getMany answers for every account asked", async () => {
    const bob = account(0xb0b);
    await ctx.repos.credits.apply({ kind: "deposited", account: bob, amount: 7n, ...at(1) });
    expect(await ctx.repos.credits.get(alice)).toEqual({
      account: alice,
      deposited: 0n,
      withdrawn: 0n,
      charged: 0n,
      pendingWithdrawal: 0n,
      pendingAvailableAt: null,
    });
    const many = await ctx.repos.credits.getMany([alice, bob, bob]);
    expect([...many.keys()]).toEqual([alice, bob]);
    expect(many.get(bob)?.deposited).toBe(7n);
    await expect(ctx.repos.credits.get("0x123")).rejects.toMatchObject({ code: "ADDRESS_MALFORMED" });
  });
}
