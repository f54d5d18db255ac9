import { WAD } from "@flock/core";
import { describe, expect, it } from "vitest";
import { computeEpoch } from "./computeEpoch.ts";
import { epochInputsFromReport } from "./inputsFromReport.ts";
import type { EpochInputs } from "./types.ts";
import { workedEpochInputs } from "./workedEpoch.ts";

const address = (n: number): string => `0x${n.toString(16).padStart(40, "0")}`;

/** Recompute a report from its own published bytes, as an auditor does. */
function recomputed(inputs: EpochInputs) {
  const result = computeEpoch(inputs);
  const again = computeEpoch(epochInputsFromReport(JSON.parse(result.reportJson)));
  return { result, again };
}

describe("epochInputsFromReport: a published report recomputes to its own bytes", () => {
  it("the worked epoch", () => {
    const { result, again } = recomputed(workedEpochInputs());
    expect(again.reportJson).toBe(result.reportJson);
    expect(again.reportHash).toBe(result.reportHash);
  });

  it("an epoch using every optional input: pools, FL stake, mint, refereed score, draw seed, snapshot, reveal", () => {
    const validator = address(0x20);
    const body = JSON.stringify({ score: "1500000000000000000", salt: `0x${"ab".repeat(32)}` });
    const inputs: EpochInputs = {
      epoch: 4n,
      emission: 1000n * WAD,
      flStake: 10n * WAD,
      mintIndex: "3",
      treasury: address(0x7777),
      tasks: [
        {
          id: "9",
          weight: 1n,
          gammaBps: 1000n,
          direction: "lower-is-better",
          pool: 250n * WAD,
          creator: address(0x30),
          stakeSnapshotBlock: "120",
          drawSeed: { blockNumber: "121", blockHash: `0x${"cd".repeat(32)}` },
        },
      ],
      submissions: [
        { id: "1", task: "9", account: address(0x1), stake: 40n * WAD, refereedScore: 2n * WAD },
        { id: "2", task: "9", account: address(0x2), stake: 40n * WAD },
      ],
      validators: [
        {
          account: validator,
          task: "9",
          stake: 50n * WAD,
          completedAssignments: 2,
          scores: [
            {
              submission: "1",
              score: (3n * WAD) / 2n,
              reveal: {
                address: validator,
                timestamp: "1700000000",
                nonce: `0x${"01".repeat(32)}`,
                signature: `0x${"02".repeat(65)}`,
                method: "POST",
                path: "/assignments/1/reveal",
                body,
              },
            },
            { submission: "2", score: WAD },
          ],
        },
      ],
    };
    const { result, again } = recomputed(inputs);
    expect(again.reportJson).toBe(result.reportJson);
    const report = JSON.parse(result.reportJson);
    expect(report.inputs.tasks[0].drawSeed.blockNumber).toBe("121");
    expect(report.inputs.validators[0].scores[0].reveal.body).toBe(body);
  });

  it("a report with its inputs cut off is refused with a clear code, not recomputed from guesses", () => {
    const report = JSON.parse(computeEpoch(workedEpochInputs()).reportJson);
    delete report.inputs.tasks;
    expect(() => epochInputsFromReport(report)).toThrow(
      expect.objectContaining({ code: "EPOCH_REPORT_MALFORMED" }),
    );
  });
});
