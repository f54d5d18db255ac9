import { beforeAll, describe, expect, it } from "vitest";
import { type ContractName, flockArtifacts, roles, taskStatus, wiringCalls } from "../src/index.ts";
import { deployFlock, type Flock } from "./support/deploy.ts";
import { connectNetwork, type Network } from "./support/network.ts";

describe("deployment description", () => {
  let net: Network;
  let flock: Flock;
  beforeAll(async () => {
    net = await connectNetwork();
    flock = await deployFlock(net);
  });

  it("the exported role ids equal the contracts' role constants", async () => {
    expect(await flock.flockToken.read.MINTER_ROLE()).toBe(roles.MINTER_ROLE);
    expect(await flock.taskStaking.read.COORDINATOR_ROLE()).toBe(roles.COORDINATOR_ROLE);
    expect(await flock.taskStaking.read.SLASHER_ROLE()).toBe(roles.SLASHER_ROLE);
    expect(await flock.taskStaking.read.OPERATOR_ROLE()).toBe(roles.OPERATOR_ROLE);
    expect(await flock.slashing.read.SLASHER_ROLE()).toBe(roles.SLASHER_ROLE);
    expect(await flock.emission.read.COORDINATOR_ROLE()).toBe(roles.COORDINATOR_ROLE);
    expect(await flock.rewardDistributor.read.COORDINATOR_ROLE()).toBe(roles.COORDINATOR_ROLE);
    expect(await flock.usageCredits.read.COLLECTOR_ROLE()).toBe(roles.COLLECTOR_ROLE);
    expect(await flock.flockToken.read.DEFAULT_ADMIN_ROLE()).toBe(roles.DEFAULT_ADMIN_ROLE);
    expect(await flock.taskStaking.read.STATUS_CLOSED()).toBe(taskStatus.closed);
  });

  it("following deploymentOrder and wiringCalls leaves every role and allow-list entry in place", async () => {
    const { addresses, params } = flock;
    const holder = (name: ContractName | "coordinator") =>
      name === "coordinator" ? params.coordinator : addresses[name];
    const grants: Array<[ContractName, keyof typeof roles, ContractName | "coordinator"]> = [
      ["FlockToken", "MINTER_ROLE", "Emission"],
      ["TaskStaking", "SLASHER_ROLE", "Slashing"],
      ["TaskStaking", "COORDINATOR_ROLE", "coordinator"],
      ["Slashing", "SLASHER_ROLE", "coordinator"],
      ["RewardDistributor", "COORDINATOR_ROLE", "coordinator"],
      ["Emission", "COORDINATOR_ROLE", "coordinator"],
      ["UsageCredits", "COLLECTOR_ROLE", "coordinator"],
    ];
    expect(wiringCalls.filter((call) => call.functionName === "grantRole")).toHaveLength(grants.length);
    for (const [contract, role, account] of grants) {
      const hasRole = await net.publicClient.readContract({
        address: addresses[contract],
        abi: flockArtifacts[contract].abi as typeof flockArtifacts.FlockToken.abi,
        functionName: "hasRole",
        args: [roles[role], holder(account)],
      });
      expect(hasRole, `${contract}: ${role} for ${account}`).toBe(true);
    }
    for (const name of ["TaskStaking", "DelegationPools", "Slashing"] as const) {
      expect(await flock.gmFlock.read.isProtocolContract([addresses[name]])).toBe(true);
    }
    expect(await flock.emission.read.recipient()).toBe(addresses.RewardDistributor);
    expect(await flock.usageCredits.read.recipient()).toBe(addresses.RewardDistributor);
    expect(await flock.usageCredits.read.withdrawalDelay()).toBe(params.creditWithdrawalDelay);
    expect(await flock.flockToken.read.totalSupply()).toBe(0n);
    // the admin approves emission-funded tasks from the start; the network floor is the deployment's
    expect(await flock.taskStaking.read.isOperator([params.admin])).toBe(true);
    expect(await flock.taskStaking.read.isOperator([params.coordinator])).toBe(false);
    expect(await flock.taskStaking.read.minStakeFloor()).toBe(params.minStakeFloor);
  });
});
