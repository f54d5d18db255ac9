import { describe, expect, it } from "vitest";
import { coalitionOf, grandCoalition, membersOf } from "./coalition.ts";
import { memoizedUtility } from "./utility.ts";

describe("memoized utility", () => {
  it("evaluates each coalition once, also under concurrent requests, with its members ascending", async () => {
    const seen: string[] = [];
    const u = memoizedUtility(3, async (members) => {
      seen.push(members.join(","));
      await new Promise((r) => setTimeout(r, 1));
      return members.length;
    });
    const s = coalitionOf([2, 0]);
    const [a, b] = await Promise.all([u.value(s), u.value(s)]);
    expect([a, b]).toEqual([2, 2]);
    expect(await u.value(grandCoalition(3))).toBe(3);
    expect(await u.value(s)).toBe(2);
    expect(seen).toEqual(["0,2", "0,1,2"]);
    expect(u.evaluations).toBe(2);
  });

  it("coalitions are bitmasks of any width", () => {
    expect(coalitionOf([0, 3])).toBe(9n);
    expect(membersOf(coalitionOf([1, 70]), 80)).toEqual([1, 70]);
    expect(grandCoalition(70)).toBe(2n ** 70n - 1n);
  });

  it("refuses a non-finite metric and a coalition naming a missing player", async () => {
    const u = memoizedUtility(2, (members) => (members.length === 2 ? Number.NaN : 1));
    await expect(u.value(3n)).rejects.toMatchObject({ code: "FL_UTILITY_NOT_FINITE" });
    expect(() => u.value(4n)).toThrow(expect.objectContaining({ code: "FL_COALITION_INVALID" }));
    expect(() => memoizedUtility(0, () => 0)).toThrow(
      expect.objectContaining({ code: "FL_PLAYERS_INVALID" }),
    );
  });
});
