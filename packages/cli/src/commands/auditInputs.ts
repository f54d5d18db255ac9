import { type FlockReader, getSnapshotStake, readEvents } from "@flock/chain";
import { taskStakingAbi } from "@flock/contracts";
import { REQUEST_SIGNING, requestDomain } from "@flock/core";
import { drawValidators, type EpochInputs } from "@flock/protocol";
import { type Address, type Hex, recoverTypedDataAddress, sha256 } from "viem";

/** One check of an audit: what the report says against what the chain (or a signature) says. */
export interface AuditCheck {
  check: string;
  ok: boolean;
  expected: string;
  actual: string;
}

/** A task's published draw (`GET /tasks/:id/draw`): its stake snapshot and assignments in the order made. */
export interface PublishedDraw {
  taskId: number;
  snapshot: {
    blockNumber: string;
    blockHash: string;
    stakes: { account: string; role: "trainer" | "validator"; amount: string }[];
  } | null;
  assignments: { id: number; submissionId: number; submitter: string; validator: string; seed: string }[];
}

export interface InputCheckOptions {
  inputs: EpochInputs;
  reader: FlockReader;
  /** The deployment's TaskStaking address: the EIP-712 verifyingContract of every signed request. */
  verifyingContract: Address;
  fromBlock: bigint;
  /** The mint index each other settled epoch used (the coordinator's epoch list), by epoch number. */
  otherEpochMints: ReadonlyMap<number, string | null>;
  /** A task's published draw. */
  draw: (taskId: string) => Promise<PublishedDraw>;
}

const lower = (text: string) => text.toLowerCase();

/**
 * The checks of an epoch's INPUTS against their sources (SPEC §3: anyone can check every input, not just the
 * arithmetic): the emission against the chain's mint, each task's stake snapshot block against the chain (the
 * first block after the submission deadline), every stake against TaskStaking's frozen `snapshotStakeOf`, the
 * validator draw re-run from that block's hash and the frozen stakes, and every score against its validator's
 * signed reveal. A coordinator that invents any of them fails one of these checks.
 */
export async function epochInputChecks(options: InputCheckOptions): Promise<AuditCheck[]> {
  const checks: AuditCheck[] = [];
  const check = (name: string, expected: string, actual: string) =>
    checks.push({ check: name, ok: lower(expected) === lower(actual), expected, actual });
  const { inputs, reader } = options;
  const client = reader.publicClient;

  // 1. Emission: one mint funds one epoch, and never more than it minted.
  const emission = BigInt(inputs.emission);
  if (inputs.mintIndex === undefined) {
    check("an epoch without a mint pays no emission", "0", emission.toString());
  } else {
    let minted: bigint | undefined;
    for await (const event of readEvents(reader, {
      fromBlock: options.fromBlock,
      kinds: ["emissionMinted"],
    })) {
      if (event.kind === "emissionMinted" && event.args.mintIndex.toString() === inputs.mintIndex)
        minted = event.args.amount;
    }
    check(
      `emission mint ${inputs.mintIndex} exists on-chain and covers the epoch's emission`,
      `at least ${emission}`,
      minted === undefined
        ? "no Minted event"
        : minted >= emission
          ? `at least ${emission}`
          : `only ${minted}`,
    );
    const reused = [...options.otherEpochMints].filter(([, m]) => m === inputs.mintIndex).map(([n]) => n);
    check(`emission mint ${inputs.mintIndex} funds no other epoch`, "none", reused.join(", ") || "none");
  }

  const draws = new Map<string, PublishedDraw>();
  for (const task of inputs.tasks) {
    const taskId = BigInt(task.id);
    const name = `task ${task.id}`;
    const stakesOf = new Map<string, bigint>();
    for (const s of inputs.submissions.filter((x) => x.task === task.id))
      stakesOf.set(lower(s.account), BigInt(s.stake));
    for (const v of inputs.validators.filter((x) => x.task === task.id))
      stakesOf.set(lower(v.account), BigInt(v.stake));
    if (task.stakeSnapshotBlock === undefined) {
      check(`${name}: stakes were frozen at a recorded block`, "a snapshot block", "none");
      continue;
    }
    // 2. The snapshot block is the first block after the task's submission deadline (as the chain records it).
    const [, , deadline, , , , minStake] = await client.readContract({
      address: reader.addresses.TaskStaking,
      abi: taskStakingAbi,
      functionName: "tasks",
      args: [taskId],
    });
    const number = BigInt(task.stakeSnapshotBlock);
    const block = await client.getBlock({ blockNumber: number });
    const parent = number === 0n ? undefined : await client.getBlock({ blockNumber: number - 1n });
    const first = block.timestamp > deadline && (parent === undefined || parent.timestamp <= deadline);
    check(
      `${name}: block ${number} is the first block after the submission deadline (${deadline})`,
      "first after the deadline",
      first
        ? "first after the deadline"
        : `block at ${block.timestamp}, previous at ${parent?.timestamp ?? "-"}`,
    );
    check(
      `${name}: the draw seed is that block's hash`,
      block.hash,
      task.drawSeed?.blockHash ?? "no draw seed",
    );
    check(
      `${name}: the draw seed's block is the snapshot block`,
      number.toString(),
      task.drawSeed?.blockNumber ?? "no draw seed",
    );

    // 3. Every stake the report counts is the stake TaskStaking froze at the deadline.
    for (const [account, stake] of stakesOf) {
      const frozen = await getSnapshotStake(reader, { taskId, account: account as Address });
      check(`${name}: stake of ${account} = its frozen on-chain stake`, frozen.toString(), stake.toString());
    }

    // 4. The draw, re-run from the seed and the chain's frozen stakes, gives the published assignments.
    const draw = await options.draw(task.id);
    draws.set(task.id, draw);
    check(
      `${name}: the published draw has the report's seed`,
      block.hash,
      draw.snapshot?.blockHash ?? "none",
    );
    const stakers = new Set<string>();
    for await (const event of readEvents(reader, { fromBlock: options.fromBlock, kinds: ["staked"] })) {
      if (event.kind === "staked" && event.args.taskId === taskId && event.args.role === 2)
        stakers.add(lower(event.args.account));
    }
    const candidates: { account: string; stake: bigint }[] = [];
    for (const account of [...stakers].sort()) {
      const stake = await getSnapshotStake(reader, { taskId, account: account as Address });
      if (stake > 0n && stake >= minStake) candidates.push({ account, stake });
    }
    const bySubmission = new Map<number, { submitter: string; validators: string[] }>();
    for (const a of draw.assignments) {
      const entry = bySubmission.get(a.submissionId) ?? { submitter: a.submitter, validators: [] };
      entry.validators.push(lower(a.validator));
      bySubmission.set(a.submissionId, entry);
    }
    for (const [submissionId, entry] of bySubmission) {
      const order = drawValidators({
        seed: block.hash,
        submissionId,
        submitter: entry.submitter,
        candidates,
        k: entry.validators.length,
      });
      check(
        `${name}: submission ${submissionId}'s validators re-drawn from the seed and frozen stakes`,
        order.join(", "),
        entry.validators.join(", "),
      );
    }
    // Whoever scored a submission was drawn for it.
    for (const v of inputs.validators.filter((x) => x.task === task.id)) {
      for (const s of v.scores) {
        const drawn = bySubmission.get(Number(s.submission))?.validators.includes(lower(v.account)) ?? false;
        check(
          `${name}: ${lower(v.account)} was drawn for submission ${s.submission}`,
          "drawn",
          drawn ? "drawn" : "not drawn",
        );
      }
    }
  }

  // 5. Every score is the one its validator revealed, signed with its own key for this deployment.
  const chainId = await client.getChainId();
  for (const v of inputs.validators) {
    for (const s of v.scores) {
      const name = `score of ${lower(v.account)} for submission ${s.submission}`;
      const reveal = s.reveal;
      if (reveal === undefined) {
        check(`${name}: has its signed reveal`, "a signed reveal", "none");
        continue;
      }
      let signer: string;
      try {
        signer = await recoverTypedDataAddress({
          domain: requestDomain(chainId, options.verifyingContract),
          types: REQUEST_SIGNING.types,
          primaryType: REQUEST_SIGNING.primaryType,
          message: {
            method: reveal.method,
            path: reveal.path,
            bodyHash: sha256(new TextEncoder().encode(reveal.body)),
            timestamp: BigInt(reveal.timestamp),
            nonce: reveal.nonce as Hex,
          },
          signature: reveal.signature as Hex,
        });
      } catch (error) {
        signer = `unrecoverable: ${error instanceof Error ? error.message : String(error)}`;
      }
      check(`${name}: the reveal is signed by the validator`, lower(v.account), lower(signer));
      let revealed: string;
      try {
        revealed = String((JSON.parse(reveal.body) as { score?: unknown }).score);
      } catch {
        revealed = "an unreadable body";
      }
      check(`${name}: the report's score is the revealed one`, revealed, s.score.toString());
      // The reveal was sent for the assignment that drew this validator for this submission.
      const assignmentId = Number(/^\/assignments\/(\d+)\/reveal$/.exec(reveal.path)?.[1] ?? Number.NaN);
      const assignment = draws.get(v.task)?.assignments.find((a) => a.id === assignmentId);
      check(
        `${name}: the reveal is for its own assignment`,
        `submission ${s.submission} by ${lower(v.account)}`,
        assignment === undefined
          ? `no assignment ${reveal.path}`
          : `submission ${assignment.submissionId} by ${lower(assignment.validator)}`,
      );
    }
  }
  return checks;
}
