import { readFileSync } from "node:fs";
import {
  createFlockReader,
  type FlockEvent,
  type FlockReader,
  manifestAddresses,
  parseManifest,
  readEvents,
} from "@flock/chain";
import { rewardDistributorAbi } from "@flock/contracts";
import { bytes32ToContentId, contentId, contentIdToBytes32, ProtocolError } from "@flock/core";
import { computeEpoch, type EpochExecutedSlash, epochInputsFromReport } from "@flock/protocol";
import type { CommandContext } from "../context.ts";
import { readNetworkInfo } from "../network/networkFile.ts";
import { type AuditCheck, epochInputChecks, type PublishedDraw } from "./auditInputs.ts";
import { flContributionChecks } from "./flContributionChecks.ts";
import { revenueChecks, usageChargedOf } from "./revenueChecks.ts";
import { publicClient } from "./task.ts";
import { parseInteger } from "./wallet.ts";

type Json = Record<string, unknown>;

export type { AuditCheck } from "./auditInputs.ts";

type Slashed = Extract<FlockEvent, { kind: "slashed" }>;

/** How a slash reads in a check: the figures the report and the Slashed event must agree on. */
function slashLine(s: {
  task: string;
  account: string;
  amount: bigint;
  prover: string | null;
  toProver: bigint;
  toTreasury: bigint;
}): string {
  return `task ${s.task}, ${s.account} slashed ${s.amount} (prover ${s.prover ?? "none"} ${s.toProver}, treasury ${s.toTreasury})`;
}

/**
 * The checks of a report's executed slashes (SPEC §3: the report lists every slash): each one has an
 * on-chain Slashed event with its evidence hash that names the same task, account, amount, prover and parts
 * (and its transaction when the report gives one); its evidence, downloaded from the coordinator, hashes to
 * the recorded evidence id; and every Slashed event of the epoch's tasks before the epoch's root was posted is
 * listed (a slash proven after settlement cannot be in the report, so later ones are not asked for). No
 * checks when there are no slashes on either side.
 */
export async function executedSlashChecks(options: {
  executedSlashes: readonly EpochExecutedSlash[];
  tasks: readonly string[];
  epoch: number;
  reader: FlockReader;
  fromBlock: bigint;
  /** The bytes of a published artifact (the coordinator's GET /artifacts/:id). */
  download: (id: string) => Promise<Uint8Array>;
}): Promise<AuditCheck[]> {
  const checks: AuditCheck[] = [];
  const check = (name: string, expected: string, actual: string) =>
    checks.push({ check: name, ok: expected.toLowerCase() === actual.toLowerCase(), expected, actual });
  const slashed = new Map<string, Slashed>();
  let posted: FlockEvent | undefined;
  for await (const event of readEvents(options.reader, {
    fromBlock: options.fromBlock,
    kinds: ["slashed", "epochRootPosted"],
  })) {
    if (event.kind === "slashed") slashed.set(event.args.evidenceHash.toLowerCase(), event);
    if (event.kind === "epochRootPosted" && event.args.epoch === BigInt(options.epoch)) posted ??= event;
  }
  for (const s of options.executedSlashes) {
    const hash = contentIdToBytes32(s.evidence);
    const event = slashed.get(hash);
    const name = `executed slash ${s.evidence.slice(7, 19)}… (${s.reason})`;
    check(
      `${name}: on-chain Slashed event with its evidence hash`,
      slashLine(s),
      event === undefined
        ? `no Slashed event with evidence hash ${hash}`
        : slashLine({
            task: event.args.taskId.toString(),
            account: event.args.account.toLowerCase(),
            amount: event.args.amount,
            prover: event.args.prover.toLowerCase(),
            toProver: event.args.proverShare,
            toTreasury: event.args.treasuryShare,
          }),
    );
    if (s.txHash !== null) {
      check(`${name}: slash transaction`, s.txHash, event?.transactionHash ?? "no Slashed event");
    }
    let downloaded: string;
    try {
      downloaded = contentId(await options.download(s.evidence));
    } catch (error) {
      downloaded = `not downloadable: ${error instanceof Error ? error.message : String(error)}`;
    }
    check(`${name}: evidence artifact hashes to the recorded evidence`, s.evidence, downloaded);
  }
  // Completeness: the chain's slashes of the epoch's tasks up to the root's posting, against the list.
  const tasks = new Set(options.tasks);
  const before = (e: FlockEvent) =>
    posted === undefined ||
    e.blockNumber < posted.blockNumber ||
    (e.blockNumber === posted.blockNumber && e.logIndex < posted.logIndex);
  const onChain = [...slashed.values()]
    .filter((e) => tasks.has(e.args.taskId.toString()) && before(e))
    .map((e) => bytes32ToContentId(e.args.evidenceHash))
    .sort();
  const listed = options.executedSlashes.map((s) => s.evidence).sort();
  // An epoch without slashes, listed or on-chain, has no slash checks at all.
  if (onChain.length > 0 || listed.length > 0) {
    check(
      "every on-chain slash of the epoch's tasks before its root was posted is listed",
      onChain.join(", ") || "none",
      listed.join(", ") || "none",
    );
  }
  return checks;
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
  check(
    "report bytes hash to the recorded report hash",
    epoch.reportHash,
    contentIdToBytes32(contentId(bytes)),
  );
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
  const [liquidRoot, vestingRoot, reportHash, , , total] = await reader.publicClient.readContract({
    address: reader.addresses.RewardDistributor,
    abi: rewardDistributorAbi,
    functionName: "epochs",
    args: [BigInt(epochNumber)],
  });
  check("on-chain report hash", recomputed.reportHash, reportHash);
  check("on-chain liquid root", recomputed.trees.liquid.root, liquidRoot);
  check("on-chain vesting root", recomputed.trees.vesting.root, vestingRoot);
  // The total the root declared (what the RewardDistributor reserved and caps claims at) is what it pays.
  const leavesTotal = [...recomputed.trees.liquid.leaves, ...recomputed.trees.vesting.leaves].reduce(
    (sum, leaf) => sum + leaf.amount,
    0n,
  );
  check("on-chain epoch total = the sum of the report's rewards", leavesTotal.toString(), total.toString());
  // 4. Slashes executed on-chain are listed, match their Slashed events, and their evidence is published.
  checks.push(
    ...(await executedSlashChecks({
      executedSlashes: recomputed.executedSlashes,
      // Arena and FL tasks alike: an FL round's vote and failed-duty slashes are executed during the task.
      tasks: [
        ...(recomputed.report.inputs as { tasks: { id: string }[] }).tasks.map((t) => t.id),
        ...((recomputed.report.inputs as { flTasks?: { id: string }[] }).flTasks ?? []).map((t) => t.id),
      ],
      epoch: epochNumber,
      reader,
      fromBlock: BigInt(manifest.blockNumber),
      download: (id) => downloadArtifact(network.apiUrl, id),
    })),
  );
  // 5. The inputs themselves, against their sources: the mint, the frozen stakes, the draw, the signed reveals.
  const otherEpochMints = new Map(
    (await client.epochs.list()).filter((e) => e.number !== epochNumber).map((e) => [e.number, e.mintIndex]),
  );
  checks.push(
    ...(await epochInputChecks({
      inputs: epochInputsFromReport(JSON.parse(text) as Json),
      reader,
      verifyingContract: reader.addresses.TaskStaking,
      fromBlock: BigInt(manifest.blockNumber),
      otherEpochMints,
      draw: (taskId) => fetchDraw(network.apiUrl, taskId),
    })),
  );
  // 6. Contribution pay-rule rounds: their values recompute from each round's published evaluations.
  checks.push(
    ...(await flContributionChecks({
      flTasks: epochInputsFromReport(JSON.parse(text) as Json).flTasks ?? [],
      round: (taskId, round) => client.fl.round(taskId, round),
    })),
  );
  // 7. Usage revenue: the report's charges against the published usage and the chain's UsageCharged events.
  checks.push(
    ...revenueChecks({
      recomputed,
      published: await client.epochs
        .usage(epochNumber)
        .catch((e: unknown) => (e instanceof Error ? e : new Error(String(e)))),
      charged: await usageChargedOf(reader, epochNumber, BigInt(manifest.blockNumber)),
    }),
  );
  return { epoch: epochNumber, checks };
}

/** A task's published draw from a coordinator (`GET /tasks/:id/draw`). */
export async function fetchDraw(apiUrl: string, taskId: string): Promise<PublishedDraw> {
  const response = await fetch(`${apiUrl}/tasks/${taskId}/draw`);
  if (!response.ok) throw new Error(`GET /tasks/${taskId}/draw answered ${response.status}`);
  return (await response.json()) as PublishedDraw;
}

/** The raw bytes of a published artifact from a coordinator (the caller hashes them itself). */
export async function downloadArtifact(apiUrl: string, id: string): Promise<Uint8Array> {
  const response = await fetch(`${apiUrl}/artifacts/${id}`);
  if (!response.ok) throw new Error(`GET /artifacts/${id} answered ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
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
