import { ValidationError } from "@flock/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { exactShapley } from "./exactShapley.ts";
import { additiveGame, game, gloveGame, ids, majorityGame } from "./testing/games.ts";

/** A random game over n players: v(S) for every S, from fast-check. */
const randomGame = fc
  .integer({ min: 1, max: 6 })
  .chain((n) =>
    fc
      .array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 2 ** n, maxLength: 2 ** n })
      .map((table) => ({ n, table })),
  );
const maskOf = (members: readonly number[]) => members.reduce((m, i) => m | (1 << i), 0);

describe("exact Shapley values on games solved by hand", () => {
  it("glove game L, L, R: the scarce right glove gets 2/3, each left glove 1/6", async () => {
    // R is pivotal when it comes after at least one L: 4 of the 6 orders → 4/6.
    const r = await exactShapley(ids(3), gloveGame(["L", "L", "R"]));
    expect(r.values[0]).toBeCloseTo(1 / 6, 12);
    expect(r.values[1]).toBeCloseTo(1 / 6, 12);
    expect(r.values[2]).toBeCloseTo(2 / 3, 12);
    expect(r.evaluations).toBe(8);
    expect([r.grand, r.empty]).toEqual([1, 0]);
  });

  it("glove game L, L, R, R: every glove gets 1/2 (v(N) = 2 shared by four symmetric players)", async () => {
    const r = await exactShapley(ids(4), gloveGame(["L", "L", "R", "R"]));
    for (const v of r.values) expect(v).toBeCloseTo(0.5, 12);
  });

  it("weighted majority [3; 2, 1, 1]: the big player 2/3, the small ones 1/6 each", async () => {
    // The big player is pivotal whenever it is not first (1 + 2 or 2 + 1 ≥ 3): 4 of the 6 orders.
    const r = await exactShapley(ids(3), majorityGame(3, [2, 1, 1]));
    expect(r.values.map((v) => v * 6)).toEqual([4, 1, 1].map((x) => expect.closeTo(x, 10)));
  });

  it("additive game: each player's value is its own worth, whatever the base", async () => {
    const own = [3, -1, 0.5, 2, 0];
    const r = await exactShapley(ids(5), additiveGame(own, 7));
    r.values.forEach((v, i) => {
      expect(v).toBeCloseTo(own[i]!, 12);
    });
    expect(r.grand - r.empty).toBeCloseTo(4.5, 12);
  });

  it("efficiency: Σφ = v(N) − v(∅) in any game (property)", async () => {
    await fc.assert(
      fc.asyncProperty(randomGame, async ({ n, table }) => {
        const r = await exactShapley(
          ids(n),
          game(n, (m) => table[maskOf(m)]!),
        );
        const sum = r.values.reduce((a, b) => a + b, 0);
        expect(sum).toBeCloseTo(table[2 ** n - 1]! - table[0]!, 9);
      }),
      { numRuns: 60 },
    );
  });

  it("symmetry: players 0 and 1 that every coalition treats alike get equal values (property)", async () => {
    await fc.assert(
      fc.asyncProperty(randomGame, async ({ n, table }) => {
        if (n < 2) return;
        // v(S) = table[S with player 1 folded into player 0's slot, counted]: symmetric in 0 and 1.
        const v = (m: readonly number[]) => {
          const both = (m.includes(0) ? 1 : 0) + (m.includes(1) ? 1 : 0);
          const rest = maskOf(m.filter((i) => i > 1));
          return table[rest]! + both * table[(rest + 1) % table.length]!;
        };
        const r = await exactShapley(ids(n), game(n, v));
        expect(r.values[0]).toBeCloseTo(r.values[1]!, 9);
      }),
      { numRuns: 60 },
    );
  });

  it("null player: a player who never changes v gets 0 (property)", async () => {
    await fc.assert(
      fc.asyncProperty(randomGame, async ({ n, table }) => {
        const idle = n - 1;
        const r = await exactShapley(
          ids(n),
          game(n, (m) => table[maskOf(m.filter((i) => i !== idle))]!),
        );
        expect(r.values[idle]).toBeCloseTo(0, 12);
      }),
      { numRuns: 60 },
    );
  });

  it("refuses games too large to enumerate and ids that do not match the game", async () => {
    await expect(exactShapley(ids(21), additiveGame(new Array(21).fill(1)))).rejects.toMatchObject({
      code: "FL_TOO_MANY_PLAYERS",
    });
    await expect(exactShapley(ids(2), additiveGame([1, 2, 3]))).rejects.toBeInstanceOf(ValidationError);
    await expect(exactShapley(["a", "a"], additiveGame([1, 2]))).rejects.toMatchObject({
      code: "FL_PLAYERS_MISMATCH",
    });
  });
});
