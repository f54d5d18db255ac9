/**
 * The end-to-end economy scenario: lock → stake → delegate → mint → epoch root → claims → slash →
 * undelegate → close → withdraw → unlock with fee. The end-to-end test asserts its outcomes and
 * `npm run gas` reports the gas of each user action from its receipts.
 */
import { buildRewardTree, rewardProof } from "@flock/protocol";
import { keccak256, type TransactionReceipt, toHex } from "viem";
import { rewardTree, stakeRole, taskStatus } from "../../src/index.ts";
import { confirm } from "./deploy.ts";
import {
  createTask,
  DAY,
  type Fixture,
  FLOCK,
  increaseTime,
  lockFor,
  lockWithReceipt,
  now,
  stakeFor,
} from "./fixture.ts";
import { rewardTotal } from "./rewardTotal.ts";

export const gasActions = [
  "lock",
  "unlock",
  "stake",
  "withdraw",
  "delegate",
  "undelegate",
  "setSigma",
  "slash",
  "mint",
  "fundTask",
  "postEpochRoot",
  "claim liquid",
  "claim vesting",
] as const;

export type GasAction = (typeof gasActions)[number];

export const SCENARIO_TASK = 1n;
export const SCENARIO_EPOCH = 1n;
export const SCENARIO_REPORT_HASH = keccak256(toHex("epoch 1 report"));
/** FLOCK the task's creator (dave) puts in its pool; epoch 1 draws all of it, the rest is emission. */
export const SCENARIO_TASK_POOL = 350n * 10n ** 18n;
export const SCENARIO_EVIDENCE = keccak256(toHex("bob scored a copied submission"));

/** Runs the scenario on a funded fixture and returns the receipt of each measured action. */
export async function runEconomyScenario(fx: Fixture): Promise<Record<GasAction, TransactionReceipt>> {
  const { net, flock } = fx;
  const { alice, bob, carol, dave, coordinator } = fx.wallets;
  const coord = flock.as(coordinator);
  const receipts: Partial<Record<GasAction, TransactionReceipt>> = {};

  // dave posts the task and funds its pool, alice trains, bob validates, carol delegates to alice, dave
  // proves bob's fault
  const { lockId: aliceLock, receipt: lockReceipt } = await lockWithReceipt(fx, alice, 10_000n * FLOCK, 180);
  receipts.lock = lockReceipt;
  const bobLock = await lockFor(fx, bob, 10_000n * FLOCK, 90);
  await lockFor(fx, carol, 5_000n * FLOCK, 30);

  await createTask(fx, {
    id: SCENARIO_TASK,
    minStake: 3_000n * FLOCK,
    minLockDays: 60,
    submissionDeadline: (await now(net)) + 10n * DAY,
    endTime: (await now(net)) + 20n * DAY,
    disputeWindow: 2n * DAY,
  });
  await confirm(
    net,
    flock.as(dave).flockToken.write.approve([flock.addresses.RewardDistributor, SCENARIO_TASK_POOL]),
  );
  receipts.fundTask = await confirm(
    net,
    flock.as(dave).rewardDistributor.write.fundTask([SCENARIO_TASK, SCENARIO_TASK_POOL]),
  );
  receipts.stake = await stakeFor(fx, alice, SCENARIO_TASK, stakeRole.trainer, 5_000n * FLOCK, aliceLock);
  await stakeFor(fx, bob, SCENARIO_TASK, stakeRole.validator, 4_000n * FLOCK, bobLock);

  receipts.setSigma = await confirm(net, flock.as(alice).delegationPools.write.setSigma([8_000]));
  await confirm(
    net,
    flock.as(carol).gmFlock.write.approve([flock.addresses.DelegationPools, 3_000n * FLOCK]),
  );
  receipts.delegate = await confirm(
    net,
    flock.as(carol).delegationPools.write.delegate([alice.account.address, 3_000n * FLOCK]),
  );

  // a day later the coordinator mints the daily emission into the distributor and settles epoch 1
  await increaseTime(net, DAY);
  receipts.mint = await confirm(net, coord.emission.write.mint());
  const { liquid, vesting } = scenarioTrees(fx);
  receipts.postEpochRoot = await confirm(
    net,
    coord.rewardDistributor.write.postEpochRoot([
      SCENARIO_EPOCH,
      liquid.root,
      vesting.root,
      SCENARIO_REPORT_HASH,
      rewardTotal(liquid, vesting),
      [SCENARIO_TASK],
      [SCENARIO_TASK_POOL],
    ]),
  );
  for (const wallet of [bob, carol, alice]) {
    const { amount, proof } = rewardProof(liquid, wallet.account.address);
    const receipt = await confirm(
      net,
      flock
        .as(wallet)
        .rewardDistributor.write.claim([
          SCENARIO_EPOCH,
          rewardTree.liquid,
          wallet.account.address,
          amount,
          proof,
        ]),
    );
    receipts["claim liquid"] ??= receipt;
  }
  await increaseTime(net, 15n * DAY);
  const vest = rewardProof(vesting, alice.account.address);
  receipts["claim vesting"] = await confirm(
    net,
    flock
      .as(alice)
      .rewardDistributor.write.claim([
        SCENARIO_EPOCH,
        rewardTree.vesting,
        alice.account.address,
        vest.amount,
        vest.proof,
      ]),
  );

  // bob's dishonest score is proven by dave: 10% of bob's stake is slashed
  receipts.slash = await confirm(
    net,
    coord.slashing.write.slash([
      SCENARIO_TASK,
      bob.account.address,
      1_000,
      SCENARIO_EVIDENCE,
      dave.account.address,
    ]),
  );
  receipts.undelegate = await confirm(
    net,
    flock.as(carol).delegationPools.write.undelegate([alice.account.address, 1_000n * FLOCK]),
  );

  await confirm(net, coord.taskStaking.write.setTaskStatus([SCENARIO_TASK, taskStatus.closed]));
  await increaseTime(net, 2n * DAY);
  receipts.withdraw = await confirm(net, flock.as(alice).taskStaking.write.withdraw([SCENARIO_TASK]));
  await confirm(net, flock.as(bob).taskStaking.write.withdraw([SCENARIO_TASK]));

  await increaseTime(net, 180n * DAY);
  receipts.unlock = await confirm(net, flock.as(alice).gmFlock.write.unlock([aliceLock]));

  for (const action of gasActions) {
    if (!receipts[action]) throw new Error(`the scenario recorded no receipt for ${action}`);
  }
  return receipts as Record<GasAction, TransactionReceipt>;
}

/** Epoch 1's trees: bob 300 and carol 50 FLOCK liquid, alice 100 liquid (her 10%) and 900 vesting. */
export function scenarioTrees(fx: Fixture) {
  const { alice, bob, carol } = fx.wallets;
  const liquid = buildRewardTree(SCENARIO_EPOCH, [
    { account: alice.account.address, amount: 100n * FLOCK },
    { account: bob.account.address, amount: 300n * FLOCK },
    { account: carol.account.address, amount: 50n * FLOCK },
  ]);
  const vesting = buildRewardTree(SCENARIO_EPOCH, [{ account: alice.account.address, amount: 900n * FLOCK }]);
  return { liquid, vesting };
}
