import { cappedEmission } from "@flock/protocol";
import { parseEventLogs } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { emissionAbi } from "../src/index.ts";
import { confirm, deployFlock } from "./support/deploy.ts";
import { addressOf, createFixture, DAY, type Fixture, FLOCK, increaseTime } from "./support/fixture.ts";
import { isolateEachTest } from "./support/isolate.ts";
import { connectNetwork } from "./support/network.ts";
import { expectRevert } from "./support/revert.ts";

const HOURS_12 = 12n * 3_600n;
const E0 = 1_000_000n * FLOCK;

describe("Emission and FlockToken: the capped daily mint", () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await createFixture();
  });
  isolateEachTest(() => fx);

  it("FLOCK is a capped ERC-20 whose only minter is the emission contract", async () => {
    const token = fx.flock.flockToken.read;
    expect([await token.name(), await token.symbol(), await token.decimals()]).toEqual([
      "Flock",
      "FLOCK",
      18,
    ]);
    expect(await token.cap()).toBe(1_000_000_000n * FLOCK);
    expect(await token.hasRole([await token.MINTER_ROLE(), fx.flock.addresses.Emission])).toBe(true);
    await expectRevert(
      fx.flock.flockToken.write.mint([fx.wallets.admin.account.address, 1n]),
      "AccessControlUnauthorizedAccount",
    );
  });

  it("each mint sends E0 to the reward distributor, at most once per 12 hours", async () => {
    const emission = fx.flock.as(fx.wallets.coordinator).emission;
    await increaseTime(fx.net, HOURS_12);
    const receipt = await confirm(fx.net, emission.write.mint());
    const [event] = parseEventLogs({ abi: emissionAbi, logs: receipt.logs, eventName: "Minted" });
    expect(event?.args).toMatchObject({ mintIndex: 1n, amount: E0 });
    expect(event?.args.recipient).toBe(fx.flock.addresses.RewardDistributor);
    expect(await fx.flock.flockToken.read.balanceOf([fx.flock.addresses.RewardDistributor])).toBe(E0);
    const { timestamp } = await fx.net.publicClient.getBlock({ blockNumber: receipt.blockNumber });
    await expectRevert(emission.write.mint(), "MintTooSoon", [timestamp + HOURS_12]);
    await increaseTime(fx.net, HOURS_12 - 10n);
    await expectRevert(emission.write.mint(), "MintTooSoon");
    await increaseTime(fx.net, 10n);
    await confirm(fx.net, emission.write.mint());
    expect(await fx.flock.emission.read.mintCount()).toBe(3n);
  });

  it("the daily amount decays ×0.9 after every 30 mints", async () => {
    const emission = fx.flock.as(fx.wallets.coordinator).emission;
    // the fixture already minted once (k = 0)
    for (let k = 1; k < 31; k++) {
      await increaseTime(fx.net, HOURS_12);
      await confirm(fx.net, emission.write.mint());
    }
    const distributor = fx.flock.addresses.RewardDistributor;
    expect(await fx.flock.flockToken.read.balanceOf([distributor])).toBe(29n * E0 + (E0 * 9n) / 10n);
    expect(await fx.flock.emission.read.scheduledEmission([60n])).toBe((E0 * 81n) / 100n);
  });

  it("the schedule ends after 78 decay periods, where 10^e no longer fits 256 bits", async () => {
    expect(await fx.flock.emission.read.scheduledEmission([2_339n])).toBe((E0 * 9n ** 77n) / 10n ** 77n);
    await expectRevert(fx.flock.emission.read.scheduledEmission([2_340n]), "EmissionScheduleEnded", [2_340n]);
  });

  it("only the coordinator mints; only the admin redirects the emission", async () => {
    await expectRevert(
      fx.flock.as(fx.wallets.alice).emission.write.mint(),
      "AccessControlUnauthorizedAccount",
    );
    await expectRevert(
      fx.flock.as(fx.wallets.alice).emission.write.setRecipient([fx.wallets.alice.account.address]),
      "AccessControlUnauthorizedAccount",
    );
    await confirm(fx.net, fx.flock.emission.write.setRecipient([fx.wallets.alice.account.address]));
    expect(await fx.flock.emission.read.recipient()).toBe(addressOf(fx.wallets.alice));
  });

  it("mints stop at the 1,000,000,000 FLOCK cap: the last one fills the room left, then CapReached", async () => {
    const net = await connectNetwork();
    const flock = await deployFlock(net, { initialEmission: 600_000_000n * FLOCK });
    const coordinator = net.wallets[2]!;
    const emission = flock.as(coordinator).emission;
    await confirm(net, emission.write.mint());
    await net.testClient.increaseTime({ seconds: Number(DAY) });
    const supplyBefore = await flock.flockToken.read.totalSupply();
    const receipt = await confirm(net, emission.write.mint());
    const [minted] = parseEventLogs({ abi: emissionAbi, logs: receipt.logs, eventName: "Minted" });
    expect(minted?.args.amount).toBe(400_000_000n * FLOCK);
    expect(minted?.args.amount).toBe(cappedEmission(1, 600_000_000n * FLOCK, supplyBefore));
    expect(await flock.flockToken.read.totalSupply()).toBe(1_000_000_000n * FLOCK);
    await net.testClient.increaseTime({ seconds: Number(DAY) });
    await expectRevert(emission.write.mint(), "CapReached");
    // the token itself enforces the cap for any minter
    await confirm(
      net,
      flock.flockToken.write.grantRole([
        await flock.flockToken.read.MINTER_ROLE(),
        net.wallets[0]!.account.address,
      ]),
    );
    await expectRevert(
      flock.flockToken.write.mint([net.wallets[0]!.account.address, 1n]),
      "ERC20ExceededCap",
    );
  });
});
