import { parseFlock } from "@flock/core";
import type { EpochInputs } from "./types.ts";

/**
 * A small epoch worked out by hand in computeEpoch.test.ts and printed by examples/worked-epoch.ts. One emission
 * period, network-wide (SPEC §3): E = 2000 FLOCK, and FL Alliance holds as much stake as the Arena, so it takes
 * half and the Arena 1000. Three tasks finalized within the epoch:
 * - chat-bpc (emission weight 1, so R0 = 1000): a BPC task, 3 trainers (one with a delegation pool of 2
 *   delegators), 2 validators;
 * - img-acc (weight 0, creator-funded pool of 700): a classifier (accuracy, higher is better) with 2 trainers and
 *   2 validators of equal stake who disagree on one submission — the 50/50 split goes to the better score;
 * - empty (weight 0, pool of 50): nobody took part, so the whole pool goes back to its creator.
 * Plus 1 slash. Stakes are perfect squares of FLOCK so that stake^0.5 is exact: √(3600e18) = 60e9.
 */
export function workedEpochInputs(): EpochInputs {
  return {
    epoch: 7n,
    emission: parseFlock("2000"),
    // S_arena = (5125 + 5125) + (500 + 200) = 10950 → E_FL = 2000 · 10950 / 21900 = 1000
    flStake: parseFlock("10950"),
    mintIndex: "6",
    treasury: "0x7777777777777777777777777777777777777777",
    tasks: [
      { id: "chat-bpc", weight: 1n, gammaBps: 1000n, direction: "lower-is-better" },
      {
        id: "img-acc",
        weight: 0n,
        gammaBps: 1000n,
        direction: "higher-is-better",
        pool: parseFlock("700"),
        creator: "0xc1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1",
      },
      {
        id: "empty",
        weight: 0n,
        gammaBps: 1000n,
        direction: "lower-is-better",
        pool: parseFlock("50"),
        creator: "0xc2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2",
      },
    ],
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
      {
        id: "sub-f",
        task: "img-acc",
        account: "0xf0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0",
        stake: parseFlock("400"),
      },
      {
        id: "sub-g",
        task: "img-acc",
        account: "0x6060606060606060606060606060606060606060",
        stake: parseFlock("100"),
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
      {
        account: "0x3333333333333333333333333333333333333333",
        task: "img-acc",
        stake: parseFlock("100"),
        completedAssignments: 2n,
        scores: [
          { submission: "sub-f", score: parseFlock("0.91") },
          { submission: "sub-g", score: parseFlock("0.87") },
        ],
      },
      {
        account: "0x4444444444444444444444444444444444444444",
        task: "img-acc",
        stake: parseFlock("100"),
        completedAssignments: 2n,
        scores: [
          { submission: "sub-f", score: parseFlock("0.89") },
          { submission: "sub-g", score: parseFlock("0.87") },
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
