import { parseFlock } from "@flock/core";
import type { EpochInputs } from "./types.ts";

/**
 * A small epoch worked out by hand in computeEpoch.test.ts and printed by examples/worked-epoch.ts:
 * one BPC task, 3 trainers (one with a delegation pool of 2 delegators), 2 validators, 1 slash.
 * Stakes are perfect squares of FLOCK so that stake^0.5 is exact: √(3600e18) = 60e9.
 */
export function workedEpochInputs(): EpochInputs {
  return {
    epoch: 7n,
    emission: parseFlock("1000"),
    treasury: "0x7777777777777777777777777777777777777777",
    tasks: [{ id: "chat-bpc", weight: 1n, gammaBps: 1000n, direction: "lower-is-better" }],
    submissions: [
      {
        id: "sub-a",
        task: "chat-bpc",
        account: "0xAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        stake: parseFlock("900"),
      },
      {
        id: "sub-b",
        task: "chat-bpc",
        account: "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        stake: parseFlock("2500"),
        sigmaBps: 2000n,
        delegators: [
          {
            account: "0xd1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1",
            amount: parseFlock("900"),
            seconds: 43_200n,
          },
          {
            account: "0xd2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2",
            amount: parseFlock("200"),
            seconds: 64_800n,
          },
        ],
      },
      {
        id: "sub-c",
        task: "chat-bpc",
        account: "0xcccccccccccccccccccccccccccccccccccccccc",
        stake: parseFlock("625"),
      },
    ],
    validators: [
      {
        account: "0x1111111111111111111111111111111111111111",
        task: "chat-bpc",
        stake: parseFlock("4900"),
        completedAssignments: 3n,
        scores: [
          { submission: "sub-a", score: parseFlock("1.20") },
          { submission: "sub-b", score: parseFlock("1.10") },
          { submission: "sub-c", score: parseFlock("1.30") },
        ],
      },
      {
        account: "0x2222222222222222222222222222222222222222",
        task: "chat-bpc",
        stake: parseFlock("225"),
        completedAssignments: 2n,
        scores: [
          { submission: "sub-a", score: parseFlock("1.20") },
          { submission: "sub-b", score: parseFlock("1.15") },
        ],
      },
    ],
    slashes: [
      {
        account: "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
        stake: parseFlock("3000"),
        fractionBps: 1000n,
        prover: "0x1111111111111111111111111111111111111111",
        reason: "copied submission",
      },
    ],
    params: {
      toleranceScore: parseFlock("0.1"),
      sigmaMinBps: 1000n,
      sigmaMaxBps: 5000n,
    },
  };
}
