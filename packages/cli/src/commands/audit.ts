import { readFileSync } from "node:fs";
import { createFlockReader, manifestAddresses, parseManifest } from "@flock/chain";
import { rewardDistributorAbi } from "@flock/contracts";
import { contentId, ProtocolError } from "@flock/core";
import { computeEpoch, type EpochInputs } from "@flock/protocol";
import type { CommandContext } from "../context.ts";
import { readNetworkInfo } from "../network/networkFile.ts";
import { publicClient } from "./task.ts";
import { parseInteger } from "./wallet.ts";

type Json = Record<string, unknown>;

const big = (value: unknown): bigint => BigInt(value as string | number);

/**
 * The inputs section of a published report as `computeEpoch` inputs. Canonical JSON writes bigints as
 * decimal strings; amounts accept them as they are, counts and fixed-point values are turned back into bigints.
 */
export function epochInputsFromReport(report: Json): EpochInputs {
  const inputs = report.inputs as Json;
  const params = inputs.params as Json;
  return {
    epoch: big(report.epoch),
    emission: inputs.emission as string,
    treasury: inputs.treasury as string,
    params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, big(v)])),
    tasks: (inputs.tasks as Json[]).map((t) => ({
      id: t.id as string,
      weight: t.weight as string,
      gammaBps: big(t.gammaBps),
      direction: t.direction as "lower-is-better" | "higher-is-better",
    })),
    submissions: (inputs.submissions as Json[]).map((s) => ({
      id: s.id as string,
      task: s.task as string,
      account: s.account as string,
      stake: s.stake as string,
      ...(s.delegatedStake == null ? {} : { delegatedStake: s.delegatedStake as string }),
      ...(s.sigmaBps == null ? {} : { sigmaBps: big(s.sigmaBps) }),
      ...(s.delegators == null
        ? {}
        : {
            delegators: (s.delegators as Json[]).map((d) => ({
              account: d.account as string,
              amount: d.amount as string,
              seconds: big(d.seconds),
            })),
          }),
    })),
    validators: (inputs.validators as Json[]).map((v) => ({
      account: v.account as string,
      task: v.task as string,
      stake: v.stake as string,
      completedAssignments: big(v.completedAssignments),
      scores: (v.scores as Json[]).map((s) => ({ submission: s.submission as string, score: big(s.score) })),
    })),
    slashes: ((inputs.slashes as Json[] | undefined) ?? []).map((s) => ({
      account: s.account as string,
      stake: s.stake as string,
      fractionBps: big(s.fractionBps),
      prover: (s.prover as string | null | undefined) ?? null,
      reason: s.reason as string,
    })),
  };
}

export interface AuditCheck {
  check: string;
  ok: boolean;
  expected: string;
  actual: string;
}

/** Audit one epoch of the home's network; throws AUDIT_FAILED when any check fails. */
export async function auditEpoch(
  ctx: CommandContext,
  epochNumber: number,
): Promise<{ epoch: number; checks: AuditCheck[] }> {
  const client = publicClient(ctx);
  const epoch = await client.epochs.get(epochNumber);
  const bytes = await client.epochs.report(epochNumber);
  const checks: AuditCheck[] = [];
  const check = (name: string, expected: string, actual: string) =>
    checks.push({ check: name, ok: expected.toLowerCase() === actual.toLowerCase(), expected, actual });

  // 1. The downloaded bytes are the report the coordinator committed to.
  check("report bytes hash to the recorded report hash", epoch.reportHash, `0x${contentId(bytes).slice(7)}`);
  // 2. Recomputing the report from its own inputs with the protocol's pure functions gives the same bytes.
  const text = new TextDecoder().decode(bytes);
  const recomputed = computeEpoch(epochInputsFromReport(JSON.parse(text) as Json));
  check("recomputed report hash", epoch.reportHash, recomputed.reportHash);
  check("recomputed liquid root", epoch.liquidRoot, recomputed.trees.liquid.root);
  check("recomputed vesting root", epoch.vestingRoot, recomputed.trees.vesting.root);
  // 3. The chain holds the same hash and roots (what claims are verified against).
  const network = readNetworkInfo(ctx.home);
  const manifest = parseManifest(
    JSON.parse(readFileSync(network.deploymentFile, "utf8")),
    network.deploymentFile,
  );
  const reader = createFlockReader({
    rpcUrl: network.rpcUrl,
    chainId: network.chainId,
    addresses: manifestAddresses(manifest),
  });
  const [liquidRoot, vestingRoot, reportHash] = await reader.publicClient.readContract({
    address: reader.addresses.RewardDistributor,
    abi: rewardDistributorAbi,
    functionName: "epochs",
    args: [BigInt(epochNumber)],
  });
  check("on-chain report hash", recomputed.reportHash, reportHash);
  check("on-chain liquid root", recomputed.trees.liquid.root, liquidRoot);
  check("on-chain vesting root", recomputed.trees.vesting.root, vestingRoot);
  return { epoch: epochNumber, checks };
}

/** `flock audit <epoch>`. */
export async function runAudit(ctx: CommandContext, epochText: string) {
  const result = await auditEpoch(ctx, parseInteger(epochText, "epoch"));
  const failed = result.checks.filter((c) => !c.ok);
  ctx.output.result({ ...result, verified: failed.length === 0 }, () => [
    ...result.checks.map(
      (c) => `${c.ok ? "ok  " : "FAIL"} ${c.check}${c.ok ? "" : `: expected ${c.expected}, got ${c.actual}`}`,
    ),
    failed.length === 0 ? `epoch ${result.epoch} verified` : `epoch ${result.epoch} does NOT verify`,
  ]);
  if (failed.length > 0) {
    throw new ProtocolError("AUDIT_FAILED", `${failed.length} check(s) of epoch ${result.epoch} failed`, {
      hint: "the published report, its recomputation and the chain disagree: report this coordinator",
      details: { failed },
    });
  }
}
